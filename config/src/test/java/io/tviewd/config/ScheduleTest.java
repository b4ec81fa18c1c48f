package io.tviewd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

class ScheduleTest {

    private static final Instant T = Instant.parse("2026-11-22T10:17:30Z"); // a Sunday

    @Test
    void interval_nextIsAfterPlusInterval() {
        assertThat(Schedule.parse("30s").next(T)).isEqualTo(T.plusSeconds(30));
        assertThat(Schedule.parse("5m").interval()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void cron_stepsRangesListsAndDays() {
        assertThat(Schedule.parse("*/5 * * * *").next(T)).isEqualTo(Instant.parse("2026-11-22T10:20:00Z"));
        assertThat(Schedule.parse("0 * * * *").next(T)).isEqualTo(Instant.parse("2026-11-22T11:00:00Z"));
        assertThat(Schedule.parse("15 2 * * *").next(T)).isEqualTo(Instant.parse("2026-11-23T02:15:00Z"));
        assertThat(Schedule.parse("0 9-17/4 * * 1-5").next(T)).isEqualTo(Instant.parse("2026-11-23T09:00:00Z"));
        assertThat(Schedule.parse("30 0 1,15 * *").next(T)).isEqualTo(Instant.parse("2026-12-01T00:30:00Z"));
        assertThat(Schedule.parse("0 0 * * 7").next(T)).isEqualTo(Instant.parse("2026-11-29T00:00:00Z"));
        // both day fields restricted: either matches (the 1st, or any Monday)
        assertThat(Schedule.parse("0 0 1 * 1").next(T)).isEqualTo(Instant.parse("2026-11-23T00:00:00Z"));
    }

    @Test
    void badSchedules_nameTheRule() {
        assertThatThrownBy(() -> Schedule.parse("often")).hasMessage("expected an interval like 30s or 5m, or a cron expression like '*/5 * * * *'");
        assertThatThrownBy(() -> Schedule.parse("10ms")).hasMessage("an interval must be at least 100ms");
        assertThatThrownBy(() -> Schedule.parse("36500d")).hasMessage("an interval must be at most 366d (use a cron expression for rarer runs)");
        assertThatThrownBy(() -> Schedule.parse("99999999999999999d")).hasMessage("is too large for a duration");
        assertThatThrownBy(() -> Schedule.parse("0 0 31 2 *"))
                .hasMessage("cron expression '0 0 31 2 *' never fires: no month it names has the day of month it names");
        assertThatThrownBy(() -> Schedule.parse("0 0 30,31 2 *")).hasMessageContaining("never fires");
        assertThat(Schedule.parse("0 0 29 2 *").interval()).isNull();       // leap years
        assertThat(Schedule.parse("0 0 31 2 1").interval()).isNull();       // day 31 OR Monday: fires on Mondays
        assertThatThrownBy(() -> Schedule.parse("* * * *")).hasMessage("a cron expression has 5 fields (minute hour day-of-month month day-of-week), not 4");
        assertThatThrownBy(() -> Schedule.parse("61 * * * *")).hasMessage("cron minute value 61 is outside 0-59");
        assertThatThrownBy(() -> Schedule.parse("x * * * *")).hasMessage("cron minute field has 'x', not a number");
    }
}
