import { LightningElement, api } from 'lwc';
import { loadScript } from 'lightning/platformResourceLoader';
import CHART_JS from '@salesforce/resourceUrl/ChartJs';
import LOCALE from '@salesforce/i18n/locale';
import getDashboard from '@salesforce/apex/ActivityController.getDashboard';
import {
  bpm,
  chartConfig,
  chartSummary,
  dayRows,
  formatNumber,
  lastDays,
  longDate,
  timeOf,
  type ChartConstructor,
  type ChartInstance,
  type DayRow,
  type Range
} from './activityFormat';
import { apexErrorMessage } from 'c/apexErrors';

/** Shorter periods would turn every open portal tab into a steady stream of Apex calls. */
export const MIN_REFRESH_SECONDS = 15;

const DEFAULT_LINK_HELP =
  'Ask our support team to link your fitness account to your profile. Once it is linked, your activity appears here automatically.';

const CHART_UNAVAILABLE = 'The chart could not be shown; the table below lists the same values.';

/** The user-facing message of a failed Apex call (c/apexErrors). */
export const messageOf = (error: unknown): string => apexErrorMessage(error);

/**
 * The portal user's own fitness activity (Scenario 4): today's tiles and a 7- or 30-day chart.
 * The server picks the user (ActivityController reads the running user's fitness id), so the
 * browser sends no id. It refreshes every `refreshInterval` seconds, but only while the page is
 * visible: a hidden tab makes no calls, and catches up as soon as it is shown again.
 */
export default class ActivityDashboard extends LightningElement {
  /** Seconds between automatic refreshes while the page is visible; 0 turns them off. */
  @api refreshInterval = 60;
  /** What the empty state tells a user whose fitness account is not linked yet. */
  @api linkHelp = DEFAULT_LINK_HELP;

  dashboard?: Apex.ActivityDashboard;
  errorMessage = '';
  chartError = '';
  isRefreshing = false;
  range: Range = 7;
  announcement = 'Loading your activity.';

  private connected = false;
  private inFlight = false;
  private lastLoadedAt = 0;
  private timer?: ReturnType<typeof setInterval>;
  private chart?: ChartInstance;
  private chartKey = '';
  private chartLibrary?: Promise<ChartConstructor | undefined>;

  connectedCallback(): void {
    this.connected = true;
    document.addEventListener('visibilitychange', this.handleVisibilityChange);
    this.load(true);
    this.startTimer();
  }

  disconnectedCallback(): void {
    this.connected = false;
    document.removeEventListener('visibilitychange', this.handleVisibilityChange);
    this.stopTimer();
    this.destroyChart();
  }

  renderedCallback(): void {
    this.renderChart();
  }

  // ---- template state ----

  get isLoading(): boolean {
    return !this.dashboard && !this.errorMessage;
  }
  get isError(): boolean {
    return !this.dashboard && !!this.errorMessage;
  }
  /** A refresh failed but the last good values are still shown. */
  get isStale(): boolean {
    return !!this.dashboard && !!this.errorMessage;
  }
  get isEmpty(): boolean {
    return this.dashboard?.linked === false;
  }
  get hasData(): boolean {
    return this.dashboard?.linked === true;
  }

  get todayHeading(): string {
    const date = this.dashboard?.activityDate;
    return date ? `Today, ${longDate(date, LOCALE)}` : 'Today';
  }
  get stepsText(): string {
    return formatNumber(this.dashboard?.steps ?? 0, LOCALE);
  }
  get goalPercent(): number {
    const goal = this.dashboard?.goalSteps ?? 0;
    if (goal <= 0) return 0;
    return Math.min(100, Math.round(((this.dashboard?.steps ?? 0) / goal) * 100));
  }
  get goalText(): string {
    const goalSteps = this.dashboard?.goalSteps ?? 0;
    if (goalSteps <= 0) return 'No step goal set.';
    const goal = formatNumber(goalSteps, LOCALE);
    return this.goalReached
      ? `Goal reached: ${goal} steps.`
      : `${this.goalPercent}% of your ${goal}-step goal.`;
  }
  get goalReached(): boolean {
    return this.dashboard?.goalReached === true;
  }
  get goalBarStyle(): string {
    return `width: ${this.goalPercent}%`;
  }
  get caloriesText(): string {
    return `${formatNumber(this.dashboard?.calories ?? 0, LOCALE)} kcal`;
  }
  get activeMinutesText(): string {
    return `${formatNumber(this.dashboard?.activeMinutes ?? 0, LOCALE)} min`;
  }
  get heartRateAverageText(): string {
    return bpm(this.dashboard?.heartRateAverage ?? null, LOCALE);
  }
  get heartRateRangeText(): string {
    const d = this.dashboard;
    if (!d || d.heartRateMin === null || d.heartRateMax === null) return '';
    return `Lowest ${bpm(d.heartRateMin, LOCALE)}, highest ${bpm(d.heartRateMax, LOCALE)}`;
  }
  get updatedAtText(): string {
    const d = this.dashboard;
    if (!d?.updatedAt) return 'No readings received yet today.';
    return `Updated at ${timeOf(d.updatedAt, LOCALE, d.timeZone ?? undefined)}`;
  }

  get is7Days(): boolean {
    return this.range === 7;
  }
  get is30Days(): boolean {
    return this.range === 30;
  }
  get sevenDayPressed(): string {
    return String(this.is7Days);
  }
  get thirtyDayPressed(): string {
    return String(this.is30Days);
  }
  get sevenDayClass(): string {
    return this.is7Days ? 'slds-button slds-button_brand' : 'slds-button slds-button_neutral';
  }
  get thirtyDayClass(): string {
    return this.is30Days ? 'slds-button slds-button_brand' : 'slds-button slds-button_neutral';
  }
  get chartHeading(): string {
    return `Last ${this.range} days`;
  }
  get shownDays(): Apex.ActivityDay[] {
    return lastDays(this.dashboard?.days ?? [], this.range);
  }
  get chartSummaryText(): string {
    return chartSummary(this.shownDays, this.range, LOCALE);
  }
  get tableCaption(): string {
    return `Steps and average heart rate per day, last ${this.range} days`;
  }
  /** The table is the chart's text alternative; it is shown to everyone when the chart is not. */
  get tableClass(): string {
    return this.chartError
      ? 'slds-table slds-table_bordered slds-table_cell-buffer slds-m-top_small'
      : 'slds-assistive-text';
  }
  get rows(): DayRow[] {
    return dayRows(this.shownDays, LOCALE);
  }

  // ---- events ----

  handleRefresh(): void {
    this.load(true);
  }

  handleRange(event: Event): void {
    const range = Number((event.currentTarget as HTMLElement).dataset.range) as Range;
    if (range === this.range) return;
    this.range = range;
    this.announcement = `Showing the last ${range} days.`;
  }

  private readonly handleVisibilityChange = (): void => {
    if (document.visibilityState !== 'visible') {
      this.stopTimer();
      return;
    }
    // Values older than one period are caught up at once instead of at the next tick.
    const period = this.periodMs();
    if (period > 0 && Date.now() - this.lastLoadedAt >= period) this.load(false);
    this.startTimer();
  };

  // ---- loading ----

  /**
   * Calls Apex once (a call already under way is not doubled). Automatic refreshes announce
   * nothing: a screen reader reading the tiles every minute would drown out the page; a user's
   * own refresh, the first load and every failure are announced.
   */
  private async load(announce: boolean): Promise<void> {
    if (this.inFlight) return;
    this.inFlight = true;
    this.isRefreshing = true;
    if (announce && this.dashboard) this.announcement = 'Refreshing your activity.';
    try {
      const dashboard = await getDashboard({});
      if (!this.connected) return;
      this.dashboard = dashboard;
      this.errorMessage = '';
      this.lastLoadedAt = Date.now();
      if (announce) {
        this.announcement = dashboard.linked
          ? `Activity updated: ${this.stepsText} steps today. ${this.goalText}`
          : 'No fitness account is linked to your profile.';
      }
    } catch (error) {
      if (!this.connected) return;
      this.errorMessage = messageOf(error);
      this.announcement = `Your activity could not be loaded: ${this.errorMessage}`;
    } finally {
      this.inFlight = false;
      this.isRefreshing = false;
    }
  }

  private periodMs(): number {
    const seconds = Number(this.refreshInterval);
    if (!Number.isFinite(seconds) || seconds <= 0) return 0;
    return Math.max(seconds, MIN_REFRESH_SECONDS) * 1000;
  }

  private startTimer(): void {
    this.stopTimer();
    const period = this.periodMs();
    if (period === 0 || document.visibilityState !== 'visible') return;
    // A periodic refresh is this component's purpose; the timer lives only while connected and
    // visible (cleared in disconnectedCallback and when the page is hidden).
    // eslint-disable-next-line @lwc/lwc/no-async-operation
    this.timer = setInterval(() => {
      this.load(false);
    }, period);
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  // ---- chart ----

  /** Loads Chart.js once per component; resolves undefined (and says so) when it cannot. */
  private loadChartLibrary(): Promise<ChartConstructor | undefined> {
    this.chartLibrary ??= loadScript(this, CHART_JS).then(
      () => (window as unknown as { Chart?: ChartConstructor }).Chart,
      () => undefined
    );
    return this.chartLibrary;
  }

  /**
   * Draws the chart on the canvas the template shows, if any: the same canvas gets new data
   * when it changed, a new canvas (after a state change re-created it) gets a new chart, and no
   * canvas means the old chart is destroyed.
   */
  private async renderChart(): Promise<void> {
    if (!this.template?.querySelector('canvas')) {
      this.destroyChart();
      return;
    }
    const Chart = await this.loadChartLibrary();
    if (!this.connected) return;
    if (!Chart) {
      this.chartError = CHART_UNAVAILABLE;
      return;
    }
    const canvas = this.template?.querySelector('canvas');
    if (!canvas) return;
    const config = chartConfig(this.shownDays, LOCALE);
    const key = JSON.stringify(config.data);
    if (this.chart && this.chart.canvas === canvas) {
      if (key === this.chartKey) return;
      this.chart.data = config.data;
      this.chart.update();
    } else {
      this.destroyChart();
      try {
        this.chart = new Chart(canvas, config);
      } catch {
        this.chartError = CHART_UNAVAILABLE;
        return;
      }
    }
    this.chartKey = key;
  }

  private destroyChart(): void {
    this.chart?.destroy();
    this.chart = undefined;
    this.chartKey = '';
  }
}
