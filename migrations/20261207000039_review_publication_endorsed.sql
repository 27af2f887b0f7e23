-- A publication decision is the delegated partners' to endorse (through the decisions module, as a
-- recommendation is), and a delay or a decision not to publish is told to the National Panel and the
-- Secretary of State with a copy of the full report (Warwickshire's arrangements, section 11).
alter table review add column publication_decision_id uuid;
alter table review add constraint review_publication_decision_fk
    foreign key (partnership_id, publication_decision_id) references decision (partnership_id, id);
alter table review add column publication_told_on date;
alter table review add constraint review_told_of_a_delay_or_not_publishing
    check (publication_told_on is null or publication in ('delay', 'not_publish'));
