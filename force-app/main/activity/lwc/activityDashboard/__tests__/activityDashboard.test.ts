import { createElement } from 'lwc';
import { loadScript } from 'lightning/platformResourceLoader';
import ActivityDashboard, { MIN_REFRESH_SECONDS, messageOf } from 'c/activityDashboard';
import getDashboard from '@salesforce/apex/ActivityController.getDashboard';
import type { ChartConfig } from '../activityFormat';
import {
  APEX_TEXT,
  DASHBOARD,
  DAYS,
  GOAL_REACHED,
  NOT_LINKED,
  apexError
} from './data/activityController';

jest.mock('@salesforce/apex/ActivityController.getDashboard', () => ({ default: jest.fn() }), {
  virtual: true
});

const getDashboardMock = getDashboard as unknown as jest.Mock;
const loadScriptMock = loadScript as unknown as jest.Mock;

/** A Chart.js double: records what each chart was given and what was done to it. */
interface FakeChart {
  canvas: HTMLCanvasElement;
  config: ChartConfig;
  data: ChartConfig['data'];
  update: jest.Mock;
  destroy: jest.Mock;
}
let charts: FakeChart[];
let ChartMock: jest.Mock;

let visibility: DocumentVisibilityState;

type Dashboard = HTMLElement & { refreshInterval?: number; linkHelp?: string };

function mount(props: Partial<Dashboard> = {}): Dashboard {
  const element = createElement('c-activity-dashboard', { is: ActivityDashboard }) as Dashboard;
  Object.assign(element, props);
  document.body.appendChild(element);
  return element;
}

/** Lets the awaits of a load (Apex, then loadScript, then the render) settle. */
function flush(): Promise<void> {
  let chain = Promise.resolve();
  for (let i = 0; i < 12; i++) chain = chain.then(() => undefined);
  return chain;
}

async function mountWith(
  dashboard: Apex.ActivityDashboard,
  props: Partial<Dashboard> = {}
): Promise<{ element: Dashboard; root: ShadowRoot }> {
  getDashboardMock.mockResolvedValue(dashboard);
  const element = mount(props);
  await flush();
  return { element, root: element.shadowRoot! };
}

function text(root: ShadowRoot, selector: string): string {
  return root.querySelector(selector)?.textContent?.replace(/\s+/g, ' ').trim() ?? '';
}

function announcement(root: ShadowRoot): string {
  return text(root, '[aria-live="polite"]');
}

function setVisibility(state: DocumentVisibilityState): void {
  visibility = state;
  document.dispatchEvent(new CustomEvent('visibilitychange'));
}

function click(root: ShadowRoot, selector: string): void {
  root.querySelector(selector)!.dispatchEvent(new CustomEvent('click'));
}

function lastChart(): FakeChart {
  return charts[charts.length - 1]!;
}

describe('c-activity-dashboard', () => {
  beforeAll(() => {
    Object.defineProperty(document, 'visibilityState', {
      configurable: true,
      get: () => visibility
    });
  });

  beforeEach(() => {
    visibility = 'visible';
    charts = [];
    ChartMock = jest.fn().mockImplementation((canvas: HTMLCanvasElement, config: ChartConfig) => {
      const chart: FakeChart = {
        canvas,
        config,
        data: config.data,
        update: jest.fn(),
        destroy: jest.fn()
      };
      charts.push(chart);
      return chart;
    });
    // What the real loadScript does: the script defines window.Chart.
    loadScriptMock.mockImplementation(() => {
      (window as unknown as { Chart: unknown }).Chart = ChartMock;
      return Promise.resolve();
    });
  });

  afterEach(() => {
    while (document.body.firstChild) document.body.removeChild(document.body.firstChild);
    delete (window as unknown as { Chart?: unknown }).Chart;
    jest.useRealTimers();
    jest.resetAllMocks();
  });

  describe('loading', () => {
    it('shows a spinner and announces loading until Apex answers', async () => {
      getDashboardMock.mockReturnValue(new Promise(() => undefined));
      const element = mount();
      await flush();
      const root = element.shadowRoot!;
      expect(root.querySelector('lightning-spinner')).not.toBeNull();
      const spinner = root.querySelector('lightning-spinner') as unknown as {
        alternativeText: string;
      };
      expect(spinner.alternativeText).toBe('Loading your activity');
      expect(root.querySelector('.tiles')).toBeNull();
      expect(announcement(root)).toBe('Loading your activity.');
      expect(getDashboardMock).toHaveBeenCalledWith({});
    });
  });

  describe('data', () => {
    it("shows today's tiles with the goal progress and heart rate average, lowest and highest", async () => {
      const { root } = await mountWith(DASHBOARD);
      expect(root.querySelector('lightning-spinner')).toBeNull();
      expect(text(root, '.today-heading')).toBe('Today, Monday, December 7');
      expect(text(root, '.steps .value')).toBe('8,432');
      expect(text(root, '.steps .goal')).toBe('84% of your 10,000-step goal.');
      const bar = root.querySelector('[role="progressbar"]')!;
      expect(bar.getAttribute('aria-valuenow')).toBe('84');
      expect(bar.getAttribute('aria-label')).toBe('Progress towards your step goal');
      expect(text(root, '.calories .value')).toBe('1,234 kcal');
      expect(text(root, '.active-minutes .value')).toBe('45 min');
      expect(text(root, '.heart-rate .value')).toBe('72 bpm');
      expect(text(root, '.heart-rate .range')).toBe('Lowest 58 bpm, highest 141 bpm');
      // 14:05 UTC is 2:05 PM in London in December.
      expect(text(root, '.updated-at')).toBe('Updated at 2:05 PM');
    });

    it('says when there is no step goal', async () => {
      const { root } = await mountWith({ ...DASHBOARD, goalSteps: null, goalReached: null });
      expect(text(root, '.steps .goal')).toBe('No step goal set.');
      expect(root.querySelector('[role="progressbar"]')!.getAttribute('aria-valuenow')).toBe('0');
    });

    it('says the goal is reached in words, not only by colour', async () => {
      const { root } = await mountWith(GOAL_REACHED);
      expect(text(root, '.steps .goal')).toBe('Goal reached: 10,000 steps.');
      expect(root.querySelector('[role="progressbar"]')!.getAttribute('aria-valuenow')).toBe('100');
    });

    it('shows "No reading" for a day without heart rate and says when nothing arrived yet', async () => {
      const { root } = await mountWith({
        ...DASHBOARD,
        heartRateAverage: null,
        heartRateMin: null,
        heartRateMax: null,
        updatedAt: null
      });
      expect(text(root, '.heart-rate .value')).toBe('No reading');
      expect(text(root, '.heart-rate .range')).toBe('');
      expect(text(root, '.updated-at')).toBe('No readings received yet today.');
    });

    it('loads Chart.js from the static resource and charts the last 7 days', async () => {
      const { root } = await mountWith(DASHBOARD);
      expect(loadScriptMock).toHaveBeenCalledTimes(1);
      expect(loadScriptMock).toHaveBeenCalledWith(expect.anything(), 'ChartJs');
      expect(ChartMock).toHaveBeenCalledTimes(1);
      const chart = lastChart();
      expect(chart.canvas).toBe(root.querySelector('canvas'));
      const [steps, heartRate] = chart.config.data.datasets;
      expect(chart.config.data.labels).toEqual([
        'Dec 1',
        'Dec 2',
        'Dec 3',
        'Dec 4',
        'Dec 5',
        'Dec 6',
        'Dec 7'
      ]);
      expect(steps).toMatchObject({ type: 'bar', label: 'Steps' });
      expect(steps!.data).toEqual([8600, 8800, 9000, 9200, 9400, 9600, 9800]);
      expect(heartRate).toMatchObject({ type: 'line', label: 'Average heart rate (bpm)' });
      expect(heartRate!.data).toEqual([63, 64, 65, 66, null, 68, 69]);
    });

    it('switches the same chart to 30 days and back, with the buttons saying which is pressed', async () => {
      const { root } = await mountWith(DASHBOARD);
      const [seven, thirty] = Array.from(root.querySelectorAll('button[data-range]'));
      expect(seven!.getAttribute('aria-pressed')).toBe('true');
      expect(thirty!.getAttribute('aria-pressed')).toBe('false');

      thirty!.dispatchEvent(new CustomEvent('click'));
      await flush();
      expect(text(root, '.chart-heading')).toBe('Last 30 days');
      expect(thirty!.getAttribute('aria-pressed')).toBe('true');
      expect(seven!.getAttribute('aria-pressed')).toBe('false');
      expect(ChartMock).toHaveBeenCalledTimes(1);
      const chart = lastChart();
      expect(chart.update).toHaveBeenCalledTimes(1);
      expect(chart.data.labels).toHaveLength(30);
      expect(chart.data.datasets[0]!.data).toEqual(DAYS.map((d) => d.steps));
      expect(announcement(root)).toBe('Showing the last 30 days.');

      seven!.dispatchEvent(new CustomEvent('click'));
      await flush();
      expect(chart.update).toHaveBeenCalledTimes(2);
      expect(chart.data.datasets[0]!.data).toEqual([8600, 8800, 9000, 9200, 9400, 9600, 9800]);
    });

    it('does not redraw the chart when a re-render brings the same data', async () => {
      const { root } = await mountWith(DASHBOARD);
      click(root, 'lightning-button-icon.refresh');
      await flush();
      expect(getDashboardMock).toHaveBeenCalledTimes(2);
      expect(ChartMock).toHaveBeenCalledTimes(1);
      expect(lastChart().update).not.toHaveBeenCalled();
    });

    it('lists the charted values in a table for screen readers when the chart is drawn', async () => {
      const { root } = await mountWith(DASHBOARD);
      const table = root.querySelector('table')!;
      expect(table.className).toBe('slds-assistive-text');
      expect(text(root, 'caption')).toBe('Steps and average heart rate per day, last 7 days');
      const rows = Array.from(root.querySelectorAll('tbody tr'));
      expect(rows).toHaveLength(7);
      expect(rows[0]!.querySelector('th')!.getAttribute('scope')).toBe('row');
      expect(rows[0]!.textContent).toContain('Tuesday, December 1');
      expect(rows[0]!.textContent).toContain('8,600');
      expect(rows[0]!.textContent).toContain('63 bpm');
      expect(rows[4]!.textContent).toContain('No reading');
      const summary =
        'Steps per day over the last 7 days: 64,400 in total, 9,200 a day on average, most on Monday, December 7 with 9,800.';
      expect(text(root, '.chart-summary')).toBe(summary);
      const canvas = root.querySelector('canvas')!;
      expect(canvas.getAttribute('role')).toBe('img');
      expect(canvas.getAttribute('aria-label')).toBe(summary);
    });

    it('shows the table to everyone when Chart.js cannot be loaded', async () => {
      loadScriptMock.mockReset();
      loadScriptMock.mockRejectedValue(new Error('blocked by CSP'));
      const { root } = await mountWith(DASHBOARD);
      expect(ChartMock).not.toHaveBeenCalled();
      expect(text(root, '.chart-error')).toBe(
        'The chart could not be shown; the table below lists the same values.'
      );
      expect(root.querySelector('canvas')).toBeNull();
      expect(root.querySelector('table')!.className).toContain('slds-table');
      expect(root.querySelectorAll('tbody tr')).toHaveLength(7);
    });
    it('falls back to the table when Chart.js fails to draw', async () => {
      ChartMock.mockImplementation(() => {
        throw new Error('canvas not supported');
      });
      const { root } = await mountWith(DASHBOARD);
      expect(text(root, '.chart-error')).toBe(
        'The chart could not be shown; the table below lists the same values.'
      );
      expect(root.querySelector('table')!.className).toContain('slds-table');
    });

    it('says so when a linked user has no history yet', async () => {
      const { root } = await mountWith({ ...DASHBOARD, days: [] });
      expect(text(root, '.chart-summary')).toBe('No activity recorded in the last 7 days.');
      expect(lastChart().config.data.labels).toEqual([]);
    });

    it("shows the update time in the browser's zone when the time zone is unknown", async () => {
      const { root } = await mountWith({ ...DASHBOARD, timeZone: 'Not/AZone' });
      expect(text(root, '.updated-at')).toMatch(/^Updated at \d{1,2}:05 (AM|PM)$/);
    });
  });

  describe('empty (no linked fitness account)', () => {
    it('explains how to link an account and draws no chart', async () => {
      const { root } = await mountWith(NOT_LINKED);
      expect(text(root, '.empty h3')).toBe('No fitness account linked');
      expect(text(root, '.link-help')).toContain('link your fitness account to your profile');
      expect(root.querySelector('.tiles')).toBeNull();
      expect(root.querySelector('canvas')).toBeNull();
      expect(loadScriptMock).not.toHaveBeenCalled();
      expect(announcement(root)).toBe('No fitness account is linked to your profile.');
    });

    it('shows the help text the page builder configured', async () => {
      const { root } = await mountWith(NOT_LINKED, {
        linkHelp: 'Open the Fitness app, then Link.'
      });
      expect(text(root, '.link-help')).toBe('Open the Fitness app, then Link.');
    });
  });

  describe('error', () => {
    it("shows the server's message and tries again on Retry", async () => {
      getDashboardMock.mockRejectedValueOnce(
        apexError(`${APEX_TEXT.UNAVAILABLE} Reference: 7Q2XK4`)
      );
      const element = mount();
      await flush();
      const root = element.shadowRoot!;
      expect(text(root, '.load-error .message')).toBe(`${APEX_TEXT.UNAVAILABLE} Reference: 7Q2XK4`);
      expect(root.querySelector('.tiles')).toBeNull();
      expect(announcement(root)).toBe(
        `Your activity could not be loaded: ${APEX_TEXT.UNAVAILABLE} Reference: 7Q2XK4`
      );
      const retry = root.querySelector('lightning-button.retry')!;
      expect(retry.getAttribute('label') ?? (retry as unknown as { label: string }).label).toBe(
        'Try again'
      );

      getDashboardMock.mockResolvedValueOnce(DASHBOARD);
      click(root, 'lightning-button.retry');
      await flush();
      expect(getDashboardMock).toHaveBeenCalledTimes(2);
      expect(root.querySelector('.load-error')).toBeNull();
      expect(text(root, '.steps .value')).toBe('8,432');
    });

    it('keeps the last values when a refresh fails, and says so', async () => {
      const { root } = await mountWith(DASHBOARD);
      getDashboardMock.mockRejectedValueOnce(apexError(APEX_TEXT.PAUSED));
      click(root, 'lightning-button-icon.refresh');
      await flush();
      expect(text(root, '.steps .value')).toBe('8,432');
      expect(text(root, '.stale .message')).toBe(APEX_TEXT.PAUSED);
      const icon = root.querySelector('.stale lightning-icon') as unknown as {
        iconName: string;
        alternativeText: string;
      };
      expect(icon.iconName).toBe('utility:warning');
      expect(icon.alternativeText).toBe('Warning');
      expect(root.querySelector('canvas')).toBe(lastChart().canvas);
    });

    it.each([
      [apexError('From Apex'), 'From Apex'],
      [{ body: [{ message: 'one' }, { message: 'two' }] }, 'one, two'],
      [new Error('network down'), 'network down'],
      [undefined, 'An unexpected error occurred.']
    ])('reads the message of %p', (error, expected) => {
      expect(messageOf(error)).toBe(expected);
    });
  });

  describe('refresh', () => {
    it('refreshes every refreshInterval seconds only while the page is visible', async () => {
      jest.useFakeTimers();
      const { root } = await mountWith(DASHBOARD, { refreshInterval: 60 });
      expect(getDashboardMock).toHaveBeenCalledTimes(1);

      getDashboardMock.mockResolvedValue(GOAL_REACHED);
      jest.advanceTimersByTime(60_000);
      await flush();
      expect(getDashboardMock).toHaveBeenCalledTimes(2);
      expect(text(root, '.steps .value')).toBe('10,500');
      // Automatic refreshes update silently: the announcement stays what it was.
      expect(announcement(root)).toBe(
        'Activity updated: 8,432 steps today. 84% of your 10,000-step goal.'
      );

      setVisibility('hidden');
      jest.advanceTimersByTime(300_000);
      await flush();
      expect(getDashboardMock).toHaveBeenCalledTimes(2);
      expect(jest.getTimerCount()).toBe(0);

      // Shown again after more than a period: caught up at once, then on the period again.
      setVisibility('visible');
      await flush();
      expect(getDashboardMock).toHaveBeenCalledTimes(3);
      jest.advanceTimersByTime(60_000);
      await flush();
      expect(getDashboardMock).toHaveBeenCalledTimes(4);
    });

    it('does not call again when the page is shown within a period of the last load', async () => {
      jest.useFakeTimers();
      await mountWith(DASHBOARD, { refreshInterval: 60 });
      jest.advanceTimersByTime(10_000);
      setVisibility('hidden');
      setVisibility('visible');
      await flush();
      expect(getDashboardMock).toHaveBeenCalledTimes(1);
      jest.advanceTimersByTime(60_000);
      await flush();
      expect(getDashboardMock).toHaveBeenCalledTimes(2);
    });

    it('starts no timer when mounted in a hidden page', async () => {
      jest.useFakeTimers();
      visibility = 'hidden';
      await mountWith(DASHBOARD, { refreshInterval: 60 });
      expect(jest.getTimerCount()).toBe(0);
      jest.advanceTimersByTime(600_000);
      await flush();
      expect(getDashboardMock).toHaveBeenCalledTimes(1);
    });

    it('turns automatic refresh off with 0 and never polls faster than the minimum', async () => {
      jest.useFakeTimers();
      await mountWith(DASHBOARD, { refreshInterval: 0 });
      expect(jest.getTimerCount()).toBe(0);
      document.body.removeChild(document.body.firstChild!);
      getDashboardMock.mockClear();

      await mountWith(DASHBOARD, { refreshInterval: 1 });
      jest.advanceTimersByTime(MIN_REFRESH_SECONDS * 1000 - 1);
      await flush();
      expect(getDashboardMock).toHaveBeenCalledTimes(1);
      jest.advanceTimersByTime(1);
      await flush();
      expect(getDashboardMock).toHaveBeenCalledTimes(2);
    });

    it('refreshes on the button, announces the result and does not overlap calls', async () => {
      const { root } = await mountWith(DASHBOARD);
      let answer: (value: Apex.ActivityDashboard) => void = () => undefined;
      getDashboardMock.mockReturnValueOnce(new Promise((resolve) => (answer = resolve)));
      click(root, 'lightning-button-icon.refresh');
      await flush();
      expect(announcement(root)).toBe('Refreshing your activity.');
      expect(
        (root.querySelector('lightning-button-icon.refresh') as unknown as { disabled: boolean })
          .disabled
      ).toBe(true);
      click(root, 'lightning-button-icon.refresh');
      await flush();
      expect(getDashboardMock).toHaveBeenCalledTimes(2);

      answer(GOAL_REACHED);
      await flush();
      expect(text(root, '.steps .value')).toBe('10,500');
      expect(announcement(root)).toBe(
        'Activity updated: 10,500 steps today. Goal reached: 10,000 steps.'
      );
      expect(lastChart().update).not.toHaveBeenCalled(); // same history, same chart data
    });
  });

  describe('lifecycle', () => {
    it('clears its timer, stops listening and destroys the chart when removed', async () => {
      jest.useFakeTimers();
      const { element } = await mountWith(DASHBOARD, { refreshInterval: 60 });
      expect(jest.getTimerCount()).toBe(1);
      const chart = lastChart();

      document.body.removeChild(element);
      expect(jest.getTimerCount()).toBe(0);
      expect(chart.destroy).toHaveBeenCalledTimes(1);

      setVisibility('hidden');
      setVisibility('visible');
      jest.advanceTimersByTime(600_000);
      await flush();
      expect(getDashboardMock).toHaveBeenCalledTimes(1);
    });

    it('ignores an answer that arrives after it was removed', async () => {
      let answer: (value: Apex.ActivityDashboard) => void = () => undefined;
      getDashboardMock.mockReturnValue(new Promise((resolve) => (answer = resolve)));
      const element = mount();
      document.body.removeChild(element);
      answer(DASHBOARD);
      await flush();
      expect(loadScriptMock).not.toHaveBeenCalled();
      expect(ChartMock).not.toHaveBeenCalled();
    });

    it('destroys the chart when its canvas goes and draws a new one on the next canvas', async () => {
      const { root } = await mountWith(DASHBOARD);
      const first = lastChart();

      getDashboardMock.mockResolvedValueOnce(NOT_LINKED);
      click(root, 'lightning-button-icon.refresh');
      await flush();
      expect(root.querySelector('canvas')).toBeNull();
      expect(first.destroy).toHaveBeenCalledTimes(1);

      getDashboardMock.mockResolvedValueOnce(DASHBOARD);
      click(root, 'lightning-button-icon.refresh');
      await flush();
      expect(ChartMock).toHaveBeenCalledTimes(2);
      const second = lastChart();
      expect(second).not.toBe(first);
      expect(second.canvas).toBe(root.querySelector('canvas'));
      expect(loadScriptMock).toHaveBeenCalledTimes(1); // the library is loaded once
    });
  });

  describe('accessibility', () => {
    it('has headings, a live region, labelled controls and a named chart period group', async () => {
      const { root } = await mountWith(DASHBOARD);
      const card = root.querySelector('lightning-card') as unknown as { title: string };
      expect(card.title).toBe('My activity');
      expect(Array.from(root.querySelectorAll('h3')).map((h) => h.textContent?.trim())).toEqual([
        'Today, Monday, December 7',
        'Last 7 days'
      ]);
      const live = root.querySelector('[aria-live="polite"]')!;
      expect(live.getAttribute('role')).toBe('status');
      const refresh = root.querySelector('lightning-button-icon.refresh') as unknown as {
        alternativeText: string;
      };
      expect(refresh.alternativeText).toBe('Refresh activity');
      const group = root.querySelector('[role="group"]')!;
      expect(group.getAttribute('aria-label')).toBe('Chart period');
      for (const button of Array.from(group.querySelectorAll('button'))) {
        expect(button.textContent?.trim()).toMatch(/^(7|30) days$/);
        expect(button.getAttribute('type')).toBe('button');
      }
      expect(
        Array.from(root.querySelectorAll('thead th')).map((th) => th.getAttribute('scope'))
      ).toEqual(['col', 'col', 'col']);
    });
  });
});
