/*
 * Pure formatting for the activity dashboard: tile texts, the chart's configuration and its
 * text alternative. Kept apart from the component so the numbers the chart draws and the numbers
 * the table reads out come from one place.
 */
// SLDS palette values: a bar colour and a contrasting line colour. The two series also differ
// in shape (bars versus a line with square markers) and are named in the legend, so colour
// carries no meaning on its own.
const STEPS_COLOUR = '#0176d3';
const HEART_RATE_COLOUR = '#ba0517';
export function formatNumber(value, locale) {
    return new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(value);
}
/** `YYYY-MM-DD` as a calendar date: read and written in UTC so no time zone shifts the day. */
function calendarDate(isoDate) {
    return new Date(`${isoDate}T00:00:00Z`);
}
export function shortDate(isoDate, locale) {
    return new Intl.DateTimeFormat(locale, {
        month: 'short',
        day: 'numeric',
        timeZone: 'UTC'
    }).format(calendarDate(isoDate));
}
export function longDate(isoDate, locale) {
    return new Intl.DateTimeFormat(locale, {
        weekday: 'long',
        month: 'long',
        day: 'numeric',
        timeZone: 'UTC'
    }).format(calendarDate(isoDate));
}
/** The time of an ISO instant in the user's activity time zone; the browser's if unknown. */
export function timeOf(iso, locale, timeZone) {
    const options = { hour: 'numeric', minute: '2-digit' };
    try {
        return new Intl.DateTimeFormat(locale, { ...options, timeZone }).format(new Date(iso));
    }
    catch {
        return new Intl.DateTimeFormat(locale, options).format(new Date(iso));
    }
}
export function bpm(value, locale) {
    return value === null ? 'No reading' : `${formatNumber(value, locale)} bpm`;
}
/** The last `range` days of the history (which is oldest first). */
export function lastDays(days, range) {
    return days.slice(-range);
}
export function dayRows(days, locale) {
    return days.map((day) => ({
        key: day.activityDate,
        date: longDate(day.activityDate, locale),
        steps: formatNumber(day.steps, locale),
        heartRate: bpm(day.heartRateAverage, locale)
    }));
}
/** One sentence a screen reader gives for the chart before the table's detail. */
export function chartSummary(days, range, locale) {
    if (days.length === 0)
        return `No activity recorded in the last ${range} days.`;
    const total = days.reduce((sum, day) => sum + day.steps, 0);
    const best = days.reduce((a, b) => (b.steps > a.steps ? b : a));
    return (`Steps per day over the last ${range} days: ${formatNumber(total, locale)} in total, ` +
        `${formatNumber(total / days.length, locale)} a day on average, ` +
        `most on ${longDate(best.activityDate, locale)} with ${formatNumber(best.steps, locale)}.`);
}
/** A bar chart of steps per day with the day's average heart rate as a line on its own axis. */
export function chartConfig(days, locale) {
    return {
        type: 'bar',
        data: {
            labels: days.map((day) => shortDate(day.activityDate, locale)),
            datasets: [
                {
                    type: 'bar',
                    label: 'Steps',
                    data: days.map((day) => day.steps),
                    yAxisID: 'steps',
                    backgroundColor: STEPS_COLOUR,
                    borderColor: STEPS_COLOUR,
                    borderWidth: 0,
                    order: 2
                },
                {
                    type: 'line',
                    label: 'Average heart rate (bpm)',
                    data: days.map((day) => day.heartRateAverage),
                    yAxisID: 'heartRate',
                    backgroundColor: HEART_RATE_COLOUR,
                    borderColor: HEART_RATE_COLOUR,
                    borderWidth: 2,
                    pointStyle: 'rect',
                    pointRadius: 3,
                    spanGaps: true,
                    order: 1
                }
            ]
        },
        options: {
            responsive: true,
            maintainAspectRatio: false,
            // Refreshes replace the data every minute; animating each one would distract.
            animation: false,
            interaction: { mode: 'index', intersect: false },
            plugins: { legend: { position: 'bottom' } },
            scales: {
                steps: {
                    type: 'linear',
                    position: 'left',
                    beginAtZero: true,
                    title: { display: true, text: 'Steps' }
                },
                heartRate: {
                    type: 'linear',
                    position: 'right',
                    grid: { drawOnChartArea: false },
                    title: { display: true, text: 'Heart rate (bpm)' }
                }
            }
        }
    };
}
