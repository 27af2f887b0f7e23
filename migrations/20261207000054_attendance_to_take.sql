-- "Attendance to take" on the business unit's home page looks for a session
-- with a booking not yet marked: from this index, rather than reading every
-- booking of the last ninety days' sessions.
create index training_booking_unmarked on training_booking (partnership_id, session_id) where attended is null;
