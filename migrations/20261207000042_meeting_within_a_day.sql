-- A meeting is held on one day (the form takes a date, a start and an end), so it lasts under 25 hours (the
-- day the clocks go back). Saying so lets "the meetings not yet over" be read from the index by start time,
-- from 25 hours ago, instead of from the partnership's first meeting.
alter table meeting add constraint meeting_within_a_day check (ends_at <= starts_at + interval '25 hours');
