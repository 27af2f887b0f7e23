-- National-scale data: partnerships `gen.first` to `gen.last`, each with
-- `gen.years` years of history and the year ahead, set-based (several
-- connections each run this for their share). Records are
-- inserted in their final state, except where a trigger guards the way there
-- (responses go into open decisions, findings into draft reports; both are
-- then closed or submitted, as the application would).
--
-- Shape for a partnership of size factor 1, over ten years: 150 people, 12
-- groups meeting about 80 times a year (8 agenda items, attendance, minutes
-- with three sections, an action in each), 30 decisions a year with every
-- statutory partner's response, four scrutiny reports a year with ten
-- recommendations each, 25 risks reviewed each quarter, a Section 11 round every two years with a
-- return from each relevant agency, two multi-agency case audits a year, a data set of twelve indicators
-- with a value each period, a pooled budget with its contributions and monthly spending, a training offer of
-- eight courses with sessions, bookings and evaluations, engagement each quarter, a library of twelve
-- documents with a version a year, 2,000 audit rows a year. Factors run from 0.4 to 3:
-- most partnerships are near 1, a few much larger; the first is the largest.
-- Run as the owner (row-level security does not bind it), in one transaction.

select setseed(current_setting('gen.first')::int / 1000.0);
-- Plain inserts of many rows: compiling them would cost more than it saves.
set local jit = off;

create temp table gen_p on commit drop as
select n, gen_random_uuid() as id, 'area-' || lpad(n::text, 3, '0') as slug,
       'Area ' || n || ' Safeguarding Partnership' as name, 'Area ' || n as short_name,
       (array['children', 'all_age', 'children', 'adults'])[1 + n % 4] as scope,
       -- The same size for the same partnership however the work is shared out.
       case when n = 1 then 3.0 else round((0.4 + 2.2 * power((abs(hashtext('area' || n)) % 10000) / 10000.0, 3))::numeric, 2)::float8 end as f,
       current_setting('gen.years')::int as years
from generate_series(current_setting('gen.first')::int, current_setting('gen.last')::int) n;
alter table gen_p add column people int;
update gen_p set people = greatest(30, (150 * f)::int);
create index on gen_p (id);

insert into partnership (id, slug, name, short_name, scope, created_at)
select id, slug, name, short_name, scope, now() - make_interval(years => years) from gen_p;

-- Organisations: the three statutory partners, then relevant agencies.
create temp table gen_org on commit drop as
select p.id as partnership_id, gen_random_uuid() as id, o.rn, p.short_name || ' ' || o.name as name, o.sector, o.rn <= 3 as statutory
from gen_p p cross join (values
    (1, 'Council', 'local_authority'), (2, 'Integrated Care Board', 'health'), (3, 'Police', 'police'),
    (4, 'Schools and Colleges', 'education'), (5, 'Probation Service', 'probation'), (6, 'Hospitals NHS Trust', 'health'),
    (7, 'Community Health Trust', 'health'), (8, 'Mental Health Trust', 'health'), (9, 'Youth Justice Service', 'local_authority'),
    (10, 'Fire and Rescue Service', 'other'), (11, 'Housing Association', 'other'), (12, 'Voluntary Sector Forum', 'voluntary'),
    (13, 'Ambulance Service', 'health'), (14, 'Early Years Settings', 'education'), (15, 'Family Court Advisory Service', 'other')
) o(rn, name, sector);
create index on gen_org (partnership_id, rn);

insert into organisation (partnership_id, id, name, sector, is_statutory_partner, is_relevant_agency, last_section11_on)
select partnership_id, id, name, sector, statutory, not statutory,
       case when not statutory then current_date - (random() * 900)::int end
from gen_org;

-- People: the first is the business manager, then lead partners (2–4),
-- delegated partners (5–7), the independent scrutineer (8), group chairs
-- (9–20), then members. A few have left.
create temp table gen_person on commit drop as
select p.id as partnership_id, p.slug, k, gen_random_uuid() as user_id, gen_random_uuid() as membership_id,
       (array['Amira', 'Ben', 'Chloe', 'Dev', 'Elena', 'Femi', 'Grace', 'Hamza', 'Isla', 'Jack', 'Kiran', 'Leah', 'Mohammed',
              'Niamh', 'Owen', 'Priya', 'Rhys', 'Sofia', 'Tom', 'Uma', 'Victor', 'Wen', 'Yusuf', 'Zara'])[1 + k % 24]
       || ' ' ||
       (array['Adams', 'Begum', 'Clarke', 'Davies', 'Evans', 'Fisher', 'Green', 'Hughes', 'Iqbal', 'Jones', 'Khan', 'Lewis',
              'Morgan', 'Nowak', 'Okafor', 'Patel', 'Quinn', 'Roberts', 'Singh', 'Taylor', 'Walker', 'Young'])[1 + (k * 7 + p.n) % 22]
       as display_name,
       case when k between 2 and 7 then 1 + (k - 2) % 3 else 1 + k % 15 end as org_rn,
       case when k = 1 then 'business_manager' when k between 2 and 4 then 'lead_safeguarding_partner'
            when k between 5 and 7 then 'delegated_safeguarding_partner' when k = 8 then 'independent_scrutineer'
            when k between 9 and 20 then 'group_chair' when k % 10 = 0 then 'viewer' else 'group_member' end as role,
       p.years,
       now() - make_interval(years => p.years) + (random() * p.years * 365) * interval '1 day' * (case when k <= 20 then 0 else 1 end) as joined_at,
       k > 20 and k % 37 = 0 as left_partnership
from gen_p p cross join lateral generate_series(1, p.people) k;
create index on gen_person (partnership_id, k);
analyze gen_person;

-- A third of people sign in with a second factor (the home page counts those who do not).
insert into app_user (id, email, display_name, created_at, totp_secret, totp_enabled_at)
select user_id, 'person' || k || '@' || slug || '.example', display_name, joined_at,
       case when k % 3 = 0 then decode(md5(user_id::text) || md5(display_name), 'hex') end,
       case when k % 3 = 0 then joined_at end
from gen_person;

insert into membership (partnership_id, id, user_id, organisation_id, job_title, created_at, accepted_at, removed_at)
select g.partnership_id, g.membership_id, g.user_id, o.id,
       case g.role when 'business_manager' then 'Partnership Business Manager' when 'independent_scrutineer' then 'Independent Scrutineer'
                   when 'lead_safeguarding_partner' then 'Chief Officer' when 'delegated_safeguarding_partner' then 'Director'
                   else 'Safeguarding Lead' end,
       g.joined_at, g.joined_at, case when g.left_partnership then g.joined_at + interval '200 days' end
from gen_person g join gen_org o on o.partnership_id = g.partnership_id and o.rn = g.org_rn;

insert into membership_role (partnership_id, membership_id, role)
select partnership_id, membership_id, role from gen_person where not left_partnership;

-- Groups: the delegated partners' executive, a board, and subgroups.
create temp table gen_group on commit drop as
select p.id as partnership_id, gen_random_uuid() as id, g.gi, g.name, g.kind,
       least(52, greatest(1, round(g.per_year * p.f)))::int as per_year, p.years
from gen_p p cross join (values
    (1, 'Delegated Safeguarding Partners', 'executive', 6), (2, 'Safeguarding Partnership Board', 'board', 4),
    (3, 'Practice Review Group', 'subgroup', 12), (4, 'Quality Assurance Group', 'subgroup', 10),
    (5, 'Learning and Development Group', 'subgroup', 6), (6, 'Exploitation Group', 'subgroup', 12),
    (7, 'Neglect Group', 'thematic', 6), (8, 'Communications Group', 'subgroup', 4), (9, 'Education Group', 'subgroup', 6),
    (10, 'Health Group', 'subgroup', 6), (11, 'Adults at Risk Group', 'subgroup', 6), (12, 'Performance Group', 'subgroup', 4)
) g(gi, name, kind, per_year);
create index on gen_group (partnership_id, gi);

insert into partnership_group (partnership_id, id, name, kind, purpose, meetings_per_year, sort_order, reports_to_id)
select g.partnership_id, g.id, g.name, g.kind, 'Oversees its part of the arrangements and reports to the delegated partners.',
       g.per_year, g.gi, case when g.gi > 1 then e.id end
from gen_group g join gen_group e on e.partnership_id = g.partnership_id and e.gi = 1;

insert into arrangement (partnership_id, chair_arrangements, scrutiny_arrangements, decision_making, scrutiny_group_id)
select p.id, 'The delegated partners chair in rotation.', 'An independent scrutineer reports each quarter.',
       'The delegated partners decide jointly, by consensus.', g.id
from gen_p p join gen_group g on g.partnership_id = p.id and g.gi = 1;

insert into quorum_rule (partnership_id, id, group_id, required_sectors, description)
select id, gen_random_uuid(), null, '{local_authority,health,police}', 'Each statutory partner is represented.' from gen_p;
insert into decision_rule (partnership_id, id, group_id) select id, gen_random_uuid(), null from gen_p;

-- Seats: the delegated partners on the executive; a chair and about ten members on each group.
create temp table gen_seat on commit drop as
select g.partnership_id, gen_random_uuid() as id, g.id as group_id, g.gi, s.membership_id, s.display_name, o.id as organisation_id,
       case when s.k = 8 + g.gi then 'chair' else 'member' end as role_in_group,
       (now() - make_interval(years => g.years))::date as starts_on
from gen_group g
join gen_person s on s.partnership_id = g.partnership_id and not s.left_partnership
     and ((g.gi = 1 and s.k between 5 and 7) or s.k = 8 + g.gi or (s.k > 20 and s.k % 12 = g.gi % 12 and s.k <= 20 + 12 * 10))
join gen_org o on o.partnership_id = s.partnership_id and o.rn = s.org_rn;
create index on gen_seat (partnership_id, group_id);
analyze gen_seat;

insert into group_member (partnership_id, id, group_id, person_name, organisation_id, membership_id, role_in_group, starts_on)
select partnership_id, id, group_id, display_name, organisation_id, membership_id, role_in_group, starts_on from gen_seat;

-- Terms of reference adopted every two years, reviewed a year later (the latest are due soon or overdue).
insert into terms_of_reference (partnership_id, id, group_id, summary, adopted_on, review_due_on)
select g.partnership_id, gen_random_uuid(), g.id, 'Purpose, membership, quorum and reporting of the ' || g.name || '.',
       (now() - make_interval(years => g.years))::date + v * 730 + g.gi,
       (now() - make_interval(years => g.years))::date + v * 730 + g.gi + 365
from gen_group g cross join lateral generate_series(0, greatest(0, (g.years - 1) / 2)) v;

-- Posts and who holds them.
insert into post (partnership_id, id, kind, title, organisation_id)
select s.partnership_id, gen_random_uuid(),
       case when s.k = 1 then 'business_manager' when s.k <= 4 then 'lead_partner' when s.k <= 7 then 'delegated_partner' else 'independent_scrutineer' end,
       case when s.k = 1 then 'Business Manager' when s.k <= 4 then 'Lead partner, ' || o.name
            when s.k <= 7 then 'Delegated partner, ' || o.name else 'Independent Scrutineer' end,
       case when s.k between 2 and 7 then o.id end
from gen_person s join gen_org o on o.partnership_id = s.partnership_id and o.rn = s.org_rn where s.k <= 8;
insert into post_holder (partnership_id, id, post_id, holder_name, membership_id, starts_on)
select s.partnership_id, gen_random_uuid(), p.id, s.display_name, s.membership_id, (now() - make_interval(years => s.years))::date
from gen_person s
join gen_org o on o.partnership_id = s.partnership_id and o.rn = s.org_rn
join post p on p.partnership_id = s.partnership_id
     and p.title = case when s.k = 1 then 'Business Manager' when s.k <= 4 then 'Lead partner, ' || o.name
                        when s.k <= 7 then 'Delegated partner, ' || o.name else 'Independent Scrutineer' end
where s.k <= 8;

insert into scrutiny_appointment (partnership_id, id, kind, name, membership_id, starts_on, review_due_on)
select partnership_id, gen_random_uuid(), 'independent_scrutineer', display_name, membership_id,
       (now() - make_interval(years => years))::date, current_date + 120
from gen_person where k = 8;

-- Meetings: each group's rhythm over the years and the year ahead; a few cancelled.
create temp table gen_meeting on commit drop as
select g.partnership_id, gen_random_uuid() as id, g.id as group_id, g.gi,
       date_trunc('day', now() - make_interval(years => g.years)) + interval '10 hours'
           + (i * 365.0 / g.per_year + g.gi) * interval '1 day' as starts_at,
       i
from gen_group g cross join lateral generate_series(0, g.per_year * (g.years + 1) - 1) i;
alter table gen_meeting add column cancelled boolean;
update gen_meeting set cancelled = (i % 41 = 7);
alter table gen_meeting add column past boolean;
update gen_meeting set past = starts_at < now();
create index on gen_meeting (partnership_id, id);
analyze gen_meeting;

insert into meeting (partnership_id, id, group_id, starts_at, ends_at, location, status, cancelled_reason, pack_circulated_at, created_at)
select partnership_id, id, group_id, starts_at, starts_at + interval '2 hours', 'Council Offices, Committee Room ' || (1 + gi % 3),
       case when cancelled then 'cancelled' else 'scheduled' end, case when cancelled then 'Not quorate.' else '' end,
       case when past and not cancelled then starts_at - interval '7 days' end, starts_at - interval '60 days'
from gen_meeting;

-- Agenda: eight accepted items for every meeting held or within a month ahead.
create temp table gen_item on commit drop as
select m.partnership_id, gen_random_uuid() as id, m.id as meeting_id, m.starts_at, m.past, a.pos, a.title, a.purpose
from gen_meeting m cross join (values
    (1, 'Minutes and actions of the last meeting', 'decision'), (2, 'Performance report', 'discussion'),
    (3, 'Practice reviews update', 'information'), (4, 'Scrutiny findings', 'discussion'), (5, 'Risk register', 'decision'),
    (6, 'Learning and training', 'information'), (7, 'Budget', 'decision'), (8, 'Any other business', 'information')
) a(pos, title, purpose)
where not m.cancelled and m.starts_at < now() + interval '30 days';
create index on gen_item (partnership_id, meeting_id, pos);

insert into agenda_item (partnership_id, id, meeting_id, title, purpose, presenter, submitted_by, submitted_at, status, position, minutes_allowed, created_at)
select i.partnership_id, i.id, i.meeting_id, i.title, i.purpose, 'Business Manager', b.user_id, i.starts_at - interval '20 days',
       'accepted', i.pos, 15, i.starts_at - interval '20 days'
from gen_item i join gen_person b on b.partnership_id = i.partnership_id and b.k = 1;

-- A late request for each meeting of the next week, waiting for the business manager's decision.
insert into agenda_item (partnership_id, id, meeting_id, title, purpose, presenter, submitted_by, submitted_at, status, created_at)
select m.partnership_id, gen_random_uuid(), m.id, 'Urgent case update', 'decision', 'Safeguarding Lead', b.user_id, now(), 'late_request', now()
from gen_meeting m join gen_person b on b.partnership_id = m.partnership_id and b.k = 2
where not m.cancelled and m.starts_at > now() and m.starts_at < now() + interval '7 days';

insert into attendance (partnership_id, meeting_id, group_member_id, status, recorded_at)
select m.partnership_id, m.id, s.id,
       case when (hashtext(m.id::text || s.id::text) & 7) = 0 then 'apologies' else 'present' end, m.starts_at
from gen_meeting m join gen_seat s on s.partnership_id = m.partnership_id and s.group_id = m.group_id
where m.past and not m.cancelled;

-- One paper for each meeting held, for its performance report item.
insert into paper (partnership_id, id, meeting_id, agenda_item_id, title, filename, content_type, size_bytes, sha256, storage_key, uploaded_at)
select i.partnership_id, gen_random_uuid(), i.meeting_id, i.id, 'Performance report', 'performance-report.pdf', 'application/pdf', 182000,
       encode(sha256(i.id::text::bytea), 'hex'), i.partnership_id || '/generated/' || i.id, i.starts_at - interval '8 days'
from gen_item i where i.pos = 2 and i.past;

-- A declaration of interest in the budget at one meeting in eight, by the group's chair; one in ten later withdrawn.
insert into interest_declaration (partnership_id, id, meeting_id, agenda_item_id, membership_id, nature, recorded_by, declared_at, withdrawn_at)
select i.partnership_id, gen_random_uuid(), i.meeting_id, i.id, s.membership_id,
       'A member of my family works for a provider the budget funds', b.user_id, i.starts_at - interval '3 days',
       case when abs(hashtext(i.id::text)) % 10 = 0 then i.starts_at - interval '2 days' end
from gen_item i
join meeting e on e.partnership_id = i.partnership_id and e.id = i.meeting_id
join gen_seat s on s.partnership_id = e.partnership_id and s.group_id = e.group_id and s.role_in_group = 'chair'
join gen_person b on b.partnership_id = i.partnership_id and b.k = 1
where i.pos = 7 and (hashtext(i.meeting_id::text) & 7) = 0;

-- Minutes: published once approved, the latest still in draft or circulated.
insert into minutes (partnership_id, meeting_id, status, circulated_at, approved_at, published_at, created_at)
select partnership_id, id,
       case when starts_at > now() - interval '14 days' then 'draft' when starts_at > now() - interval '60 days' then 'circulated' else 'published' end,
       case when starts_at <= now() - interval '14 days' then starts_at + interval '10 days' end,
       case when starts_at <= now() - interval '60 days' then starts_at + interval '50 days' end,
       case when starts_at <= now() - interval '60 days' then starts_at + interval '52 days' end,
       starts_at + interval '1 day'
from gen_meeting where past and not cancelled;

create temp table gen_section on commit drop as
select i.partnership_id, gen_random_uuid() as id, i.meeting_id, i.id as agenda_item_id, i.pos, i.title, i.starts_at
from gen_item i where i.past and i.pos between 2 and 4;
insert into minute_section (partnership_id, id, meeting_id, agenda_item_id, position, heading, body, confidential)
select partnership_id, id, meeting_id, agenda_item_id, pos, title,
       'The group considered the report, asked about the trends it shows and agreed the actions below.', (hashtext(id::text) % 10) = 0
from gen_section;

-- An action from each section: most of those due long ago are done, a few are overdue.
insert into action_point (partnership_id, id, description, owner_membership_id, owner_name, due_on, status, group_id, meeting_id,
                          minute_section_id, completed_at, created_at)
select s.partnership_id, gen_random_uuid(), 'Follow up on the ' || lower(s.title) || ' and report back.', o.membership_id, o.display_name,
       due, st, m.group_id, s.meeting_id, s.id, case when st = 'complete' then due - 3 end, s.starts_at + interval '1 day'
from gen_section s
join gen_meeting m on m.partnership_id = s.partnership_id and m.id = s.meeting_id
cross join lateral (select (s.starts_at + (30 + abs(hashtext(s.id::text)) % 60) * interval '1 day')::date as due) d
cross join lateral (select case when d.due < current_date - 30 and abs(hashtext(s.id::text)) % 25 <> 0 then 'complete'
                                else (array['not_started', 'on_track', 'at_risk', 'complete'])[1 + abs(hashtext(s.id::text)) % 4] end as st) t
join gen_p p on p.id = s.partnership_id
join gen_person o on o.partnership_id = s.partnership_id and o.k = 21 + abs(hashtext(s.meeting_id::text)) % (p.people - 20)
     and not o.left_partnership;

-- Decisions of the delegated partners: about thirty a year, the last three still open.
create temp table gen_decision on commit drop as
select p.id as partnership_id, gen_random_uuid() as id, d.n, c.total, g.id as group_id,
       now() - make_interval(years => p.years) + (d.n * (p.years * 365.0 - 20) / c.total) * interval '1 day' as raised_at,
       d.n % 6 = 0 as confidential, d.n > c.total - 3 as open
from gen_p p
cross join lateral (select greatest(5, (30 * p.years * p.f)::int) as total) c
cross join lateral generate_series(1, c.total) d(n)
join gen_group g on g.partnership_id = p.id and g.gi = 1;
create index on gen_decision (partnership_id, id);

insert into decision (partnership_id, id, number, group_id, title, question, background, confidential, quorum_sectors, quorum_description,
                      majority_vote, majority_of, reminder_working_days, closes_at, raised_by, raised_at, created_at)
select d.partnership_id, d.id, d.n, d.group_id,
       (array['Commission a practice review', 'Approve the annual budget', 'Adopt the revised threshold document',
              'Agree the learning and improvement framework', 'Publish the yearly report', 'Renew the scrutiny contract'])[1 + d.n % 6]
           || ' (' || d.n || ')',
       'Do the partners agree?', 'The paper sets out the options and the business unit''s recommendation.', d.confidential,
       '{local_authority,health,police}', 'Each statutory partner is represented.', true, 'votes_cast', 2,
       now() + interval '1 day', b.user_id, d.raised_at, d.raised_at
from gen_decision d join gen_person b on b.partnership_id = d.partnership_id and b.k = 1;

insert into decision_voter (partnership_id, decision_id, organisation_id, sector)
select d.partnership_id, d.id, o.id, o.sector from gen_decision d join gen_org o on o.partnership_id = d.partnership_id and o.statutory;

-- Every statutory partner answered the closed decisions; one has answered each open one.
insert into decision_response (partnership_id, decision_id, stage, organisation_id, position, comment, recorded_by, responded_at)
select d.partnership_id, d.id, 'consensus', o.id, case when d.n % 17 = 0 and o.rn = 3 then 'disagree' else 'agree' end,
       'Agreed for our organisation.', s.user_id, d.raised_at + (o.rn || ' days')::interval
from gen_decision d
join gen_org o on o.partnership_id = d.partnership_id and o.statutory
join gen_person s on s.partnership_id = d.partnership_id and s.k = 4 + o.rn
where not d.open or o.rn = 1;

update decision x set closes_at = d.raised_at + interval '14 days',
       outcome = case when d.n % 17 = 0 then 'not_carried' else 'carried_consensus' end,
       outcome_at = d.raised_at + interval '14 days',
       outcome_note = case when d.n % 17 = 0 then 'One partner disagreed: no consensus.' else 'Every partner agreed.' end,
       agree_count = case when d.n % 17 = 0 then 2 else 3 end, disagree_count = case when d.n % 17 = 0 then 1 else 0 end, abstain_count = 0
from gen_decision d where x.partnership_id = d.partnership_id and x.id = d.id and not d.open;
update decision x set closes_at = now() + (d.total - d.n + 2) * interval '1 day'
from gen_decision d where x.partnership_id = d.partnership_id and x.id = d.id and d.open;

-- Independent scrutiny: a report each quarter, five findings with two recommendations each.
create temp table gen_report on commit drop as
select p.id as partnership_id, gen_random_uuid() as id, s.membership_id, s.user_id, q, p.years,
       extract(year from now() - make_interval(years => p.years))::int + (q - 1) / 4 as financial_year, 1 + (q - 1) % 4 as quarter,
       date_trunc('day', now() - make_interval(years => p.years)) + (q * 91) * interval '1 day' as submitted_at
from gen_p p cross join lateral generate_series(1, 4 * p.years - 1) q
join gen_person s on s.partnership_id = p.id and s.k = 8;

insert into scrutiny_report (partnership_id, id, author_membership_id, financial_year, quarter, title, created_at)
select partnership_id, id, membership_id, financial_year, quarter, 'Quarter ' || quarter || ' scrutiny report, ' || financial_year || '/' || (financial_year + 1) % 100,
       submitted_at - interval '30 days'
from gen_report;
insert into scrutiny_report_version (partnership_id, report_id, version, summary, methods, created_at)
select partnership_id, id, 1, 'What we looked at, whom we spoke to and what we found.', '{case_audit,interviews}', submitted_at - interval '30 days'
from gen_report;

create temp table gen_finding on commit drop as
select r.partnership_id, gen_random_uuid() as id, r.id as report_id, f, r.submitted_at, r.user_id
from gen_report r cross join generate_series(1, 5) f;
insert into scrutiny_finding (partnership_id, id, report_id, version, position, title, detail, assurance)
select partnership_id, id, report_id, 1, f, 'Finding ' || f, 'What the evidence shows.',
       (array['substantial', 'reasonable', 'limited', 'none', 'reasonable'])[f]
from gen_finding;

create temp table gen_recommendation on commit drop as
select f.partnership_id, gen_random_uuid() as id, f.id as finding_id, f.report_id, f.f, n, f.submitted_at, o.id as organisation_id
from gen_finding f cross join generate_series(1, 2) n
join gen_org o on o.partnership_id = f.partnership_id and o.rn = 1 + (f.f + n) % 3;
insert into scrutiny_recommendation (partnership_id, id, finding_id, report_id, version, lineage_id, body, addressee_organisation_id)
select partnership_id, id, finding_id, report_id, 1, id, 'Recommendation ' || n || ' on finding ' || f || ': review the practice and report back.',
       organisation_id
from gen_recommendation;

-- Submitted, except the latest quarter's, which is still being written.
update scrutiny_report_version v set submitted_at = r.submitted_at, submitted_by = r.user_id, responses_due_on = (r.submitted_at + interval '28 days')::date,
       filename = 'scrutiny-report.pdf', content_type = 'application/pdf', size_bytes = 240000, sha256 = encode(sha256(r.id::text::bytea), 'hex'),
       storage_key = r.partnership_id || '/generated/' || r.id
from gen_report r where v.partnership_id = r.partnership_id and v.report_id = r.id and r.q < 4 * r.years - 1;

-- Responses to the recommendations of submitted reports more than a quarter old; an action for each accepted.
insert into recommendation_response (partnership_id, lineage_id, report_id, response, reasons, responded_by, responded_at)
select c.partnership_id, c.id, c.report_id, case when c.f = 4 and c.n = 2 then 'partly_accepted' else 'accepted' end,
       case when c.f = 4 and c.n = 2 then 'Accepted in part: the rest is covered by the review already under way.' else '' end,
       b.user_id, c.submitted_at + interval '20 days'
from gen_recommendation c join gen_person b on b.partnership_id = c.partnership_id and b.k = 1
where c.submitted_at < now() - interval '91 days';

insert into action_point (partnership_id, id, description, owner_membership_id, owner_name, due_on, status, set_by, recommendation_lineage_id,
                          completed_at, completion_confirmed_at, completion_confirmed_by, created_at)
select c.partnership_id, gen_random_uuid(), 'Act on recommendation ' || c.n || ' of finding ' || c.f || '.', o.membership_id, o.display_name,
       (c.submitted_at + interval '120 days')::date, case when done then 'complete' else 'on_track' end, b.user_id, c.id,
       case when done then c.submitted_at + interval '110 days' end, case when done then c.submitted_at + interval '115 days' end,
       case when done then b.user_id end, c.submitted_at + interval '20 days'
from gen_recommendation c
join gen_person b on b.partnership_id = c.partnership_id and b.k = 1
join gen_person o on o.partnership_id = c.partnership_id and o.k = 5 + (c.f + c.n) % 3
cross join lateral (select c.submitted_at < now() - interval '200 days' as done) t
where c.submitted_at < now() - interval '91 days';

-- Actions overdue were escalated to the delegated partners the day after they fell due (so a server
-- starting on this data does not escalate years of them at once).
update action_point a set escalated_at = a.due_on + interval '1 day'
from gen_p p where a.partnership_id = p.id and a.status <> 'complete' and a.due_on < current_date;

-- Reviews overseen by the Practice Review Group (adult ones by the Adults at Risk Group): each year three
-- serious incident notifications, an adult review referral and a learning review. Those begun over a year
-- ago went through to publication (one in five not published, with the reason) and were closed; the last
-- year's stand at every stage, so the dashboard's clocks run.
create temp table gen_review on commit drop as
select g.partnership_id, gen_random_uuid() as id, row_number() over (partition by g.partnership_id order by t.aware, t.k)::int as number,
       t.kind, t.aware, t.k, g.id as group_id
from gen_group g
cross join lateral (select k, (current_date - (k * 73 + 5))::date as aware,
                           (array['child', 'child', 'child', 'adult', 'learning'])[1 + k % 5] as kind
                    from generate_series(0, g.years * 5 - 1) k) t
where (g.gi = 3 and t.kind <> 'adult') or (g.gi = 11 and t.kind = 'adult');

insert into review (partnership_id, id, number, kind, stage, pseudonym, group_id, became_aware_on, notified_panel_on, partners_told_on,
                    rapid_review_sent_on, recommendation, recommendation_reason, sar_condition, sar_condition_reason, commissioned_on,
                    lead_reviewer, publication, publication_reason, published_on, learning_summary, closed_on, created_at, notification_ground)
select r.partnership_id, r.id, r.number, r.kind, st.stage,
       (case r.kind when 'adult' then 'Adult ' else 'Child ' end) || chr(65 + r.number % 26) || (r.number / 26)::text,
       r.group_id, r.aware,
       case when r.kind = 'child' then r.aware + 3 end, case when r.kind = 'child' then r.aware + 3 end,
       case when r.kind = 'child' and st.n >= 2 then r.aware + 19 end,
       case when st.n >= 2 then 'local_review' end, case when st.n >= 2 then 'The criteria for a local review are met.' else '' end,
       case when r.kind = 'adult' then 'died' end, case when r.kind = 'adult' then 'Concerns about how agencies worked together.' else '' end,
       case when st.n >= 3 then r.aware + 40 end,
       case when st.n >= 5 then 'Independent Reviewer ' || r.number else '' end,
       case when st.n >= 12 then case when r.number % 5 = 0 then 'not_publish' else 'publish' end end,
       case when st.n >= 12 and r.number % 5 = 0 then 'Publishing would identify a surviving sibling.' else '' end,
       case when st.n >= 13 and r.number % 5 <> 0 then r.aware + 300 end,
       case when st.n >= 13 and r.number % 5 <> 0 then 'Agencies now share information when a family moves between areas.' else '' end,
       case when st.n >= 14 then r.aware + 330 end,
       r.aware::timestamptz,
       case when r.kind = 'child' then (array['abuse_harmed', 'abuse_died', 'abuse_harmed', 'looked_after_death'])[1 + r.number % 4] end
from gen_review r
-- How far along: by age, those over a year old are closed (or published, then closed).
cross join lateral (select least(14, greatest(0, (current_date - r.aware) / 25))::int as n) a
cross join lateral (select a.n as n,
                           (array['notified', 'rapid_review', 'recommended', 'commissioned', 'terms_agreed', 'reviewer_appointed',
                                  'methodology_agreed', 'involvement', 'draft', 'final_report', 'final_report', 'final_report',
                                  'publication_decided', 'published', 'closed'])[1 + a.n] as stage) st0
cross join lateral (select st0.n, case when r.kind <> 'child' and st0.stage = 'rapid_review' then 'notified'
                                      when st0.stage = 'published' and r.number % 5 = 0 then 'publication_decided'
                                      else st0.stage end as stage) st;

insert into review_event (partnership_id, id, review_id, stage, happened_on, recorded_by, recorded_at)
select v.partnership_id, gen_random_uuid(), v.id, e.stage, v.became_aware_on + e.day, b.user_id, v.became_aware_on + e.day
from review v join gen_review r on r.partnership_id = v.partnership_id and r.id = v.id
join gen_person b on b.partnership_id = v.partnership_id and b.k = 1
cross join lateral (values ('notified', 0, 0), ('recommended', 19, 2), ('commissioned', 40, 3), ('final_report', 250, 9),
                           ('published', 300, 13), ('closed', 330, 14)) e(stage, day, at_least)
where least(14, greatest(0, (current_date - v.became_aware_on) / 25)) >= e.at_least
  and (e.stage <> 'published' or v.published_on is not null);

insert into review_subject (partnership_id, id, review_id, position, full_name, date_of_birth)
select partnership_id, gen_random_uuid(), id, 1, 'Generated Person ' || number, aware - 3000
from gen_review;
insert into review_case (partnership_id, review_id, circumstances, agencies_involved)
select partnership_id, id, 'Generated circumstances.', 'Children''s social care; health; police; school.' from gen_review;

-- Each review asked three agencies for their involvement (a safeguarding lead at each), answered within
-- nine days; the review went to the group's first meeting after the partners became aware.
insert into review_request (partnership_id, id, review_id, organisation_id, membership_id, due_on, asked_by, asked_at, summary,
                            answered_at, answered_by)
select r.partnership_id, gen_random_uuid(), r.id, m.organisation_id, o.membership_id, r.aware + 10, b.user_id,
       r.aware::timestamptz + interval '2 days', case when t.answered then 'Generated summary of the agency''s involvement.' else '' end,
       case when t.answered then r.aware::timestamptz + interval '9 days' end, case when t.answered then o.user_id end
from gen_review r
join gen_person b on b.partnership_id = r.partnership_id and b.k = 1
join gen_person o on o.partnership_id = r.partnership_id and o.k in (21, 22, 23)
join membership m on m.partnership_id = o.partnership_id and m.id = o.membership_id
cross join lateral (select r.aware + 9 <= current_date as answered) t
on conflict (partnership_id, review_id, organisation_id) do nothing;

-- A decision not to publish was told to the Panel and the Secretary of State, with the full report, within a fortnight.
update review v set publication_told_on = v.became_aware_on + 14 * 25
from gen_review r where r.partnership_id = v.partnership_id and r.id = v.id and v.publication in ('delay', 'not_publish');

update review v set meeting_id = (select m.id from meeting m where m.partnership_id = v.partnership_id and m.group_id = v.group_id
                                    and m.starts_at >= v.became_aware_on order by m.starts_at limit 1)
from gen_review r where r.partnership_id = v.partnership_id and r.id = v.id and v.stage <> 'notified';

-- Its final report's recommendations (a SAR's findings): three, the first two answered by an action each, the
-- third (in one review of four) not to be implemented, with the reasons.
insert into review_finding (partnership_id, id, review_id, position, body, not_implemented_reason, not_implemented_at, created_at)
select v.partnership_id, gen_random_uuid(), v.id, i, 'Recommendation ' || i || ' of review R' || v.number || ': improve how agencies share information.',
       case when i = 3 and v.number % 4 = 0 then 'The partners already do this through the multi-agency hub.' else '' end,
       case when i = 3 and v.number % 4 = 0 then v.became_aware_on + 260 end, v.became_aware_on + 255
from review v join gen_review r on r.partnership_id = v.partnership_id and r.id = v.id
cross join generate_series(1, 3) i
where least(14, greatest(0, (current_date - v.became_aware_on) / 25)) >= 9;

insert into action_point (partnership_id, id, description, owner_membership_id, owner_name, due_on, status, group_id, set_by, review_id,
                          review_finding_id, completed_at, completion_confirmed_at, completion_confirmed_by, escalated_at, created_at)
select v.partnership_id, gen_random_uuid(), 'Act on recommendation ' || f.position || ' of review R' || v.number || '.', o.membership_id,
       o.display_name, d.due, case when t.done then 'complete' else 'on_track' end, v.group_id, b.user_id, v.id, f.id,
       case when t.done then d.due - 5 end, case when t.done then d.due - 3 end, case when t.done then b.user_id end,
       case when not t.done and d.due < current_date then d.due + 1 end, v.became_aware_on + 255
from review_finding f join review v on v.partnership_id = f.partnership_id and v.id = f.review_id
join gen_review r on r.partnership_id = v.partnership_id and r.id = v.id
join gen_person b on b.partnership_id = v.partnership_id and b.k = 1
join gen_person o on o.partnership_id = v.partnership_id and o.k = 20 + f.position
cross join lateral (select v.became_aware_on + 250 + 90 * f.position as due) d
cross join lateral (select d.due < current_date - 30 as done) t
where f.position <= 2;

-- The risk register: 25 risks over the years (about 2.5 a year), the older half closed, the rest open and
-- reviewed each quarter (one in five past its review date); each owned by the business manager or a delegated
-- partner, overseen by the executive or the Quality Assurance Group, scored before the controls, now and as a
-- target, with two mitigating actions.
create temp table gen_risk on commit drop as
select p.id as partnership_id, gen_random_uuid() as id, k as number, p.years,
       (now() - make_interval(years => p.years))::date + (k - 1) * (p.years * 365 / 25) + 3 as created_on,
       (array[1, 5, 6, 7])[1 + k % 4] as owner_k, (array[1, 4])[1 + k % 2] as group_gi,
       1 + (abs(hashtext(p.slug || k)) % 3) + 2 as inherent_l, 2 + (abs(hashtext(k || p.slug)) % 4) as inherent_i,
       k <= 13 as closed
from gen_p p cross join generate_series(1, 25) k;

insert into risk (partnership_id, id, number, title, cause, effect, category, owner_membership_id, group_id, inherent_likelihood,
                  inherent_impact, likelihood, impact, target_likelihood, target_impact, controls, review_on, closed_on, closed_reason,
                  created_at, created_by)
select r.partnership_id, r.id, r.number,
       (array['Agencies do not release staff for multi-agency training', 'The pooled budget falls short of the year''s plan',
              'Information is not shared at the front door in time', 'Rapid reviews miss the 15 working-day deadline',
              'Schools do not complete their Section 175 audits', 'The independent scrutineer post falls vacant',
              'Partners'' attendance at the executive falls below quorum', 'Learning from reviews is not embedded in practice',
              'Data from the health partners arrives late each quarter'])[1 + r.number % 9] || ' (RR' || r.number || ')',
       'Generated cause.', 'Generated effect on children and adults at risk.',
       (array['workforce', 'financial', 'information', 'statutory', 'operational', 'strategic', 'statutory', 'strategic',
              'information'])[1 + r.number % 9],
       o.membership_id, g.id, r.inherent_l, r.inherent_i, greatest(1, r.inherent_l - 1), r.inherent_i, 1, greatest(1, r.inherent_i - 1),
       'Quarterly report to the executive; named leads in each agency.',
       case when r.closed then least(r.created_on + 400, current_date - 1)
            when r.number % 5 = 0 then current_date - 10 else current_date + (r.number * 7) % 90 end,
       case when r.closed then least(r.created_on + 400, current_date - 1) end, case when r.closed then 'The target was reached and held.' else '' end,
       r.created_on::timestamptz, b.user_id
from gen_risk r
join gen_person o on o.partnership_id = r.partnership_id and o.k = r.owner_k
join gen_person b on b.partnership_id = r.partnership_id and b.k = 1
join gen_group g on g.partnership_id = r.partnership_id and g.gi = r.group_gi;

-- Its reviews, each quarter from its recording to its closing (or today), the score easing towards the target.
insert into risk_review (partnership_id, id, risk_id, reviewed_on, likelihood, impact, note, reviewed_by, recorded_at)
select r.partnership_id, gen_random_uuid(), r.id, d.on, greatest(1, r.inherent_l - 1 - (q.i % 3 = 2)::int), r.inherent_i,
       case when q.i = 0 then 'Recorded on the register' else 'Generated review: controls working as planned.' end, o.user_id,
       d.on::timestamptz + interval '10 hours'
from gen_risk r
join gen_person o on o.partnership_id = r.partnership_id and o.k = r.owner_k
cross join lateral generate_series(0, greatest(0, least(40, ((case when r.closed then least(r.created_on + 400, current_date - 1)
                                                                   else current_date - 11 end) - r.created_on) / 91))) q(i)
cross join lateral (select r.created_on + q.i * 91 as on) d;

insert into action_point (partnership_id, id, description, owner_membership_id, owner_name, due_on, status, group_id, set_by, risk_id,
                          completed_at, completion_confirmed_at, completion_confirmed_by, escalated_at, created_at)
select r.partnership_id, gen_random_uuid(), 'Mitigate risk RR' || r.number || ': step ' || i || '.', o.membership_id, o.display_name, d.due,
       case when t.done then 'complete' else 'on_track' end, g.id, b.user_id, r.id,
       case when t.done then d.due - 5 end, case when t.done then d.due - 3 end, case when t.done then b.user_id end,
       -- Overdue and not done: escalated the day after, as the sweep would have.
       case when not t.done and d.due < current_date then d.due + 1 end, r.created_on::timestamptz
from gen_risk r
join gen_person o on o.partnership_id = r.partnership_id and o.k = r.owner_k
join gen_person b on b.partnership_id = r.partnership_id and b.k = 1
join gen_group g on g.partnership_id = r.partnership_id and g.gi = r.group_gi
cross join generate_series(1, 2) i
cross join lateral (select r.created_on + 120 * i as due) d
cross join lateral (select d.due < current_date - 30 as done) t;

-- Section 11 rounds every two years (the last still open: a few returns in, some started, the rest not),
-- each with the eight standards and a return from every relevant agency, its contact the first of its people;
-- submitted returns rated, with evidence, one challenge answered in each round and an improvement action.
create temp table gen_round on commit drop as
select p.id as partnership_id, gen_random_uuid() as id, r as number,
       case when r = greatest(1, p.years / 2) then current_date - 40 else current_date - 2 * (p.years / 2 - r) * 365 - 300 end as opened_on,
       r = greatest(1, p.years / 2) as latest
from gen_p p cross join generate_series(1, greatest(1, p.years / 2)) r;

insert into assurance_round (partnership_id, id, number, kind, title, opened_on, due_on, created_by, created_at)
select g.partnership_id, g.id, g.number, 'section11', 'Section 11 self-assessment ' || extract(year from g.opened_on)::int || ' (SA' || g.number || ')',
       g.opened_on, case when g.latest then current_date + 20 else g.opened_on + 90 end, b.user_id, g.opened_on::timestamptz
from gen_round g join gen_person b on b.partnership_id = g.partnership_id and b.k = 1;

insert into round_standard (partnership_id, id, round_id, position, title)
select g.partnership_id, gen_random_uuid(), g.id, s.position, s.title
from gen_round g cross join unnest(array['Senior management commitment to safeguarding and promoting the welfare of children',
    'Clear lines of accountability for safeguarding', 'Safeguarding built into the development of services',
    'Safeguarding training for staff, and supervision', 'Safer recruitment and managing allegations against staff',
    'Effective inter-agency working', 'Information sharing', 'The voice of the child is heard and acted on']) with ordinality s(title, position);

create temp table gen_return on commit drop as
select g.partnership_id, gen_random_uuid() as id, g.id as round_id, g.opened_on, g.latest, o.id as organisation_id, o.rn,
       (select c.membership_id from gen_person c where c.partnership_id = g.partnership_id and c.org_rn = o.rn and not c.left_partnership
        order by c.k limit 1) as contact,
       case when not g.latest then 'accepted' when o.rn % 4 = 0 then 'submitted' when o.rn % 4 = 1 then 'draft' else 'not_started' end as status
from gen_round g join gen_org o on o.partnership_id = g.partnership_id and not o.statutory;

insert into round_return (partnership_id, id, round_id, organisation_id, contact_membership_id, status, summary, updated_at)
select partnership_id, id, round_id, organisation_id, contact, case when status = 'not_started' then 'not_started' else 'draft' end,
       case when status <> 'not_started' then 'Generated summary: broadly compliant, with training to improve.' else '' end,
       opened_on::timestamptz + interval '30 days'
from gen_return;

insert into return_rating (partnership_id, return_id, standard_id, rating, evidence)
select r.partnership_id, r.id, s.id, (array['green', 'green', 'amber', 'green', 'red', 'green', 'amber', 'not_applicable'])[1 + (s.position + r.rn) % 8],
       'Generated evidence for standard ' || s.position || '.'
from gen_return r join round_standard s on s.partnership_id = r.partnership_id and s.round_id = r.round_id
where r.status <> 'not_started';

-- Submitted (and accepted) as the application would: the ratings first, then the return locks.
update round_return t set status = g.status, submitted_at = g.opened_on::timestamptz + interval '60 days',
       submitted_by = (select c.user_id from gen_person c where c.partnership_id = g.partnership_id and c.membership_id = g.contact),
       accepted_at = case when g.status = 'accepted' then g.opened_on::timestamptz + interval '80 days' end
from gen_return g where t.partnership_id = g.partnership_id and t.id = g.id and g.status in ('submitted', 'accepted');

insert into return_challenge (partnership_id, id, return_id, standard_id, challenge, challenged_by, challenged_at, answer, answered_by, answered_at)
select r.partnership_id, gen_random_uuid(), r.id, s.id, 'What evidence shows this is embedded?', b.user_id, r.opened_on::timestamptz + interval '65 days',
       'Generated answer with the audit that shows it.', c.user_id, r.opened_on::timestamptz + interval '70 days'
from gen_return r
join round_standard s on s.partnership_id = r.partnership_id and s.round_id = r.round_id and s.position = 5
join gen_person b on b.partnership_id = r.partnership_id and b.k = 1
join gen_person c on c.partnership_id = r.partnership_id and c.membership_id = r.contact
where r.status in ('submitted', 'accepted') and r.rn = 4;

insert into action_point (partnership_id, id, description, owner_membership_id, owner_name, due_on, status, set_by, round_return_id,
                          completed_at, completion_confirmed_at, completion_confirmed_by, escalated_at, created_at)
select r.partnership_id, gen_random_uuid(), 'Improve safer recruitment checks (SA return).', c.membership_id, c.display_name, d.due,
       case when t.done then 'complete' else 'on_track' end, c.user_id, r.id,
       case when t.done then d.due - 5 end, case when t.done then d.due - 3 end, case when t.done then b.user_id end,
       case when not t.done and d.due < current_date then d.due + 1 end, r.opened_on::timestamptz + interval '60 days'
from gen_return r
join gen_person c on c.partnership_id = r.partnership_id and c.membership_id = r.contact
join gen_person b on b.partnership_id = r.partnership_id and b.k = 1
cross join lateral (select r.opened_on + 180 as due) d
cross join lateral (select d.due < current_date - 30 as done) t
where r.status in ('submitted', 'accepted');

-- Multi-agency case audits, two a year for the Quality Assurance Group: four agencies and six cases in each
-- sample, graded, with an action; the latest still in progress.
create temp table gen_case_audit on commit drop as
select p.id as partnership_id, gen_random_uuid() as id, a.i as number, current_date - (2 * p.years - a.i) * 182 - 30 as started_on,
       a.i = 2 * p.years as latest
from gen_p p cross join generate_series(1, 2 * p.years) a(i);

insert into case_audit (partnership_id, id, number, theme, group_id, scope, started_on, status, overall_grade, overall_findings, learning,
                        reported_on, created_by, created_at)
select a.partnership_id, a.id, a.number,
       (array['Neglect in children under five', 'Exploitation outside the home', 'Domestic abuse and the voice of the child',
              'Transition to adult services', 'Self-neglect in adults', 'Children missing education'])[1 + a.number % 6] || ' (MA' || a.number || ')',
       g.id, 'Six cases from the last year, across four agencies.', a.started_on,
       'in_progress',
       case when not a.latest then (array['good', 'requires_improvement', 'good', 'inadequate'])[1 + a.number % 4] end,
       'Generated overall findings.', 'Generated learning for the partnership.',
       null, b.user_id, a.started_on::timestamptz
from gen_case_audit a
join gen_group g on g.partnership_id = a.partnership_id and g.gi = 4
join gen_person b on b.partnership_id = a.partnership_id and b.k = 1;

-- The samples go in before the audits are reported, as the application would: reported ones are locked after.
insert into case_audit_agency (partnership_id, audit_id, organisation_id, grade, findings)
select a.partnership_id, a.id, o.id, (array['good', 'requires_improvement', 'good', 'outstanding'])[1 + (o.rn + a.number) % 4],
       'Generated findings for the agency.'
from gen_case_audit a join gen_org o on o.partnership_id = a.partnership_id and o.rn in (1, 2, 3, 4 + a.number % 10);
insert into case_audit_case (partnership_id, id, audit_id, reference, summary)
select a.partnership_id, gen_random_uuid(), a.id, 'Case ' || chr(64 + c), 'Generated: age band and agencies involved.'
from gen_case_audit a cross join generate_series(1, 6) c;
update case_audit c set status = 'reported', reported_on = a.started_on + 90
from gen_case_audit a where c.partnership_id = a.partnership_id and c.id = a.id and not a.latest;

insert into action_point (partnership_id, id, description, owner_membership_id, owner_name, due_on, status, group_id, set_by, case_audit_id,
                          completed_at, completion_confirmed_at, completion_confirmed_by, escalated_at, created_at)
select a.partnership_id, gen_random_uuid(), 'Act on the learning of audit MA' || a.number || '.', o.membership_id, o.display_name, d.due,
       case when t.done then 'complete' else 'on_track' end, g.id, b.user_id, a.id,
       case when t.done then d.due - 5 end, case when t.done then d.due - 3 end, case when t.done then b.user_id end,
       case when not t.done and d.due < current_date then d.due + 1 end, a.started_on::timestamptz + interval '90 days'
from gen_case_audit a
join gen_group g on g.partnership_id = a.partnership_id and g.gi = 4
join gen_person o on o.partnership_id = a.partnership_id and o.k = 12
join gen_person b on b.partnership_id = a.partnership_id and b.k = 1
cross join lateral (select a.started_on + 200 as due) d
cross join lateral (select d.due < current_date - 30 as done) t;

-- The performance data set: twelve indicators (four monthly, six quarterly, two yearly) supplied by the
-- partners and agencies and reviewed by the Performance Group, each with a value for every period of the years.
create temp table gen_indicator on commit drop as
select p.id as partnership_id, gen_random_uuid() as id, i.n, p.years,
       case when i.n <= 4 then 'monthly' when i.n <= 10 then 'quarterly' else 'yearly' end as frequency
from gen_p p cross join generate_series(1, 12) i(n);

insert into indicator (partnership_id, id, name, definition, unit, organisation_id, frequency, target, higher_is_better, group_id, created_at)
select i.partnership_id, i.id,
       (array['Contacts to children''s social care', 'Referrals accepted', 'Re-referrals within 12 months', 'Strategy discussions held',
              'Child protection plans', 'Plans lasting two years or more', 'Initial conferences within 15 working days',
              'Children missing from education', 'Section 47 enquiries', 'Adult safeguarding concerns', 'Training places filled',
              'Section 11 returns on time'])[i.n],
       'Generated definition.', case when i.n in (3, 6, 7, 11, 12) then '%' else '' end, o.id, i.frequency,
       case when i.n in (3, 6) then 20 when i.n in (7, 11, 12) then 90 end, i.n not in (3, 6), g.id,
       now() - make_interval(years => i.years)
from gen_indicator i
join gen_org o on o.partnership_id = i.partnership_id and o.rn = 1 + i.n % 6
join gen_group g on g.partnership_id = i.partnership_id and g.gi = 12;

insert into indicator_value (partnership_id, indicator_id, period_start, value, entered_at)
select i.partnership_id, i.id, d.period_start, round((50 + 40 * sin(extract(epoch from d.period_start) / 5e6 + i.n))::numeric, 1), d.period_start + 20
from gen_indicator i
cross join lateral (select (date_trunc('month', current_date - make_interval(years => i.years)) + make_interval(months => m))::date as period_start
                    from generate_series(0, i.years * 12 - 2) m) d
where i.frequency = 'monthly'
   or (i.frequency = 'quarterly' and extract(month from d.period_start)::int in (1, 4, 7, 10))
   or (i.frequency = 'yearly' and extract(month from d.period_start)::int = 4 and d.period_start < current_date - 365);

-- The pooled budget: a year for each year of history and this one, five lines (about £250,000 a year for a
-- partnership of size 1), three statutory partners' and two agencies' cash contributions and one in kind,
-- each cash one invoiced and paid, and each line's spending month by month to date; all-age partnerships
-- split it 50/50.
create temp table gen_budget on commit drop as
select p.id as partnership_id, gen_random_uuid() as id, y.i,
       (make_date(extract(year from current_date - interval '3 months')::int, 4, 1) - make_interval(years => p.years - y.i))::date as starts_on,
       (25000000 * p.f)::bigint as total, case when p.scope = 'all_age' then 50 end as split
from gen_p p cross join generate_series(0, p.years) y(i);
update arrangement a set children_share_percent = 50 from gen_p p where a.partnership_id = p.id and p.scope = 'all_age';

insert into budget_year (partnership_id, id, starts_on, children_share_percent, created_by, created_at)
select y.partnership_id, y.id, y.starts_on, y.split, b.user_id, y.starts_on - 30
from gen_budget y join gen_person b on b.partnership_id = y.partnership_id and b.k = 1;

create temp table gen_budget_line on commit drop as
select y.partnership_id, gen_random_uuid() as id, y.id as budget_year_id, y.starts_on, l.category, l.name, y.total * l.share / 100 as amount, y.split
from gen_budget y cross join (values ('staffing', 'Business unit', 62), ('scrutiny', 'Independent scrutiny', 10),
                                     ('reviews', 'Safeguarding practice reviews', 12), ('training', 'Multi-agency training', 12),
                                     ('other', 'Engagement and communications', 4)) l(category, name, share);
insert into budget_line (partnership_id, id, budget_year_id, category, name, amount_pennies)
select partnership_id, id, budget_year_id, category, name, amount from gen_budget_line;

create temp table gen_contribution on commit drop as
select y.partnership_id, gen_random_uuid() as id, y.id as budget_year_id, y.starts_on, o.id as organisation_id, o.name, o.statutory,
       case when o.rn = 10 then 'in_kind' else 'cash' end as form,
       case when o.statutory then y.total * 30 / 100 when o.rn = 10 then y.total / 50 else y.total * 3 / 100 end as amount
from gen_budget y join gen_org o on o.partnership_id = y.partnership_id and o.rn in (1, 2, 3, 10, 11, 12);
insert into contribution (partnership_id, id, budget_year_id, organisation_id, contributor, contributor_kind, form, amount_pennies, description,
                          recorded_at)
select partnership_id, id, budget_year_id, organisation_id, name, case when statutory then 'statutory_partner' else 'relevant_agency' end, form,
       amount, case when form = 'in_kind' then 'Meeting rooms and venues for training' else '' end, starts_on - 20
from gen_contribution;
insert into contribution_entry (partnership_id, id, contribution_id, kind, entered_on, amount_pennies, reference, recorded_at)
select c.partnership_id, gen_random_uuid(), c.id, k.kind, c.starts_on + k.days, c.amount, upper(k.kind) || '-' || left(c.id::text, 8),
       (c.starts_on + k.days)::timestamptz
from gen_contribution c cross join (values ('invoice', 30), ('payment', 75)) k(kind, days)
where c.form = 'cash' and c.starts_on + k.days <= current_date;

insert into expenditure (partnership_id, id, budget_year_id, budget_line_id, spent_on, description, supplier, amount_pennies, arrangements,
                         recorded_at)
select l.partnership_id, gen_random_uuid(), l.budget_year_id, l.id, l.starts_on + m * 30 + 10, l.name || ', month ' || (m + 1), '',
       l.amount / 12 - (m * 1371) % 5000,
       case when l.split is null then 'shared' when m % 4 = 0 then 'children' when m % 4 = 1 then 'adults' else 'shared' end,
       (l.starts_on + m * 30 + 10)::timestamptz
from gen_budget_line l cross join generate_series(0, 11) m
where l.starts_on + m * 30 + 10 < current_date;

-- The training offer for the Learning and Development Group: a needs analysis of twelve needs a year, eight
-- courses (two commissioned), three sessions of each a year (for a partnership of size 1) with fifteen bookings,
-- attendance taken and ten evaluations (two of them follow-ups on practice) for those held, and one observed a year.
insert into training_need (partnership_id, id, starts_on, organisation_id, topic, priority, staff_count, recorded_at)
select y.partnership_id, gen_random_uuid(), y.starts_on, o.id,
       (array['Neglect', 'Exploitation outside the home', 'Domestic abuse', 'Professional curiosity', 'Self-neglect',
              'Working Together 2023', 'Information sharing', 'Mental capacity'])[1 + (o.rn + y.i) % 8],
       (array['high', 'medium', 'low'])[1 + (o.rn + y.i) % 3], 20 + (o.rn * 17 + y.i * 5) % 150, y.starts_on::timestamptz
from gen_budget y join gen_org o on o.partnership_id = y.partnership_id and o.rn <= 12;

create temp table gen_course on commit drop as
select p.id as partnership_id, gen_random_uuid() as id, c.n, p.years, p.f,
       (array['Neglect: recognising and responding', 'Child exploitation', 'Domestic abuse and the voice of the child',
              'Professional curiosity', 'Working Together in practice', 'Adult self-neglect', 'Information sharing', 'Safer recruitment'])[c.n]
         as title
from gen_p p cross join generate_series(1, 8) c(n);
insert into course (partnership_id, id, title, level, audience, provider, delivery, created_at)
select partnership_id, id, title, (array['foundation', 'intermediate', 'advanced', 'specialist'])[1 + n % 4], 'Practitioners across the partnership',
       case when n in (2, 6) then 'Commissioned Provider Ltd' else '' end, case when n in (2, 6) then 'commissioned' else 'internal' end,
       now() - make_interval(years => years)
from gen_course;

create temp table gen_session on commit drop as
select c.partnership_id, gen_random_uuid() as id, c.id as course_id, c.title, s.i,
       date_trunc('day', now() - make_interval(years => c.years)) + make_interval(days => (s.i * 365 / greatest(1, (3 * c.f)::int)) + c.n * 11)
         + interval '9 hours 30 minutes' as starts_at
from gen_course c cross join lateral generate_series(0, (c.years + 1) * greatest(1, (3 * c.f)::int) - 1) s(i);
delete from gen_session where starts_at > now() + interval '120 days';
insert into training_session (partnership_id, id, course_id, starts_at, ends_at, place, online, capacity, link_token, observation, observed_by,
                              created_at)
select partnership_id, id, course_id, starts_at, starts_at + interval '3 hours', case when i % 3 = 0 then '' else 'Partnership training room' end,
       i % 3 = 0, 20, encode(sha256(convert_to(id::text, 'UTF8')), 'hex'),
       case when i % 3 = 1 and starts_at < now() then 'Generated observation: well paced, good discussion.' else '' end,
       case when i % 3 = 1 and starts_at < now() then 'Learning and development lead' else '' end, starts_at - interval '60 days'
from gen_session;
insert into training_booking (partnership_id, id, session_id, participant_name, email, organisation_id, booked_at, attended, attendance_recorded_at)
select s.partnership_id, gen_random_uuid(), s.id, 'Practitioner ' || b, 'p' || b || '.' || left(s.id::text, 8) || '@agency.example', o.id,
       s.starts_at - interval '20 days', case when s.starts_at < now() then b % 7 <> 0 end, case when s.starts_at < now() then s.starts_at end
from gen_session s cross join generate_series(1, 15) b
join gen_org o on o.partnership_id = s.partnership_id and o.rn = 1 + (b * 3 + s.i) % 15;
insert into training_evaluation (partnership_id, id, session_id, stage, respondent, organisation_id, rating, confidence_before, confidence_after,
                                 comments, submitted_at)
select s.partnership_id, gen_random_uuid(), s.id, case when e <= 8 then 'immediate' else 'follow_up' end,
       case when e = 10 then 'manager' else 'participant' end, o.id, 2 + (e + s.i) % 4,
       case when e <= 8 then 1 + (e + s.i) % 3 end, case when e <= 8 then 3 + (e + s.i) % 3 end,
       case when e in (1, 9) then 'Generated comment on the session.' else '' end,
       s.starts_at + case when e <= 8 then interval '4 hours' else interval '45 days' end
from gen_session s cross join generate_series(1, 10) e
join gen_org o on o.partnership_id = s.partnership_id and o.rn = 1 + (e * 5 + s.i) % 15
where s.starts_at + case when e <= 8 then interval '4 hours' else interval '45 days' end < now();

-- Engagement: children and young people, and parents and carers, heard each quarter (sought every quarter in
-- all partnerships but the adults' ones), adults twice a year where the arrangements cover them; each reported
-- to the delegated partners with what was done, and every fourth with an action.
update arrangement a set engagement_every_quarter = array['children', 'parents_carers'] from gen_p p where a.partnership_id = p.id and p.scope <> 'adults';
create temp table gen_engagement on commit drop as
select p.id as partnership_id, gen_random_uuid() as id, row_number() over (partition by p.id order by q.q, v.voice) as number, v.voice,
       (date_trunc('quarter', now() - make_interval(years => p.years)) + make_interval(months => 3 * q.q) + interval '20 days')::date as held_on
from gen_p p cross join generate_series(0, 4 * p.years) q(q)
cross join (values ('children'), ('parents_carers'), ('adults')) v(voice)
where (v.voice <> 'adults' or (p.scope <> 'children' and q.q % 2 = 0)) and (v.voice = 'adults' or p.scope <> 'adults');
delete from gen_engagement where held_on > current_date;
insert into engagement (partnership_id, id, number, voice, title, method, held_on, participants, findings, what_we_did, group_id, reported_on,
                        created_at)
select e.partnership_id, e.id, e.number, e.voice,
       (array['Youth council', 'Parents'' forum', 'Adults'' panel'])[case e.voice when 'children' then 1 when 'parents_carers' then 2 else 3 end]
         || ' (E' || e.number || ')',
       'Group session', e.held_on, 8 + e.number % 30, 'Generated findings: what was heard.',
       case when e.held_on < current_date - 60 then 'Generated: what was done about it.' else '' end,
       case when e.held_on < current_date - 30 then g.id end, case when e.held_on < current_date - 30 then e.held_on + 25 end,
       e.held_on::timestamptz
from gen_engagement e join gen_group g on g.partnership_id = e.partnership_id and g.gi = 1;
insert into action_point (partnership_id, id, description, owner_membership_id, owner_name, due_on, status, set_by, engagement_id,
                          completed_at, completion_confirmed_at, completion_confirmed_by, escalated_at, created_at)
select e.partnership_id, gen_random_uuid(), 'Act on what E' || e.number || ' heard.', o.membership_id, o.display_name, d.due,
       case when t.done then 'complete' else 'on_track' end, b.user_id, e.id,
       case when t.done then d.due - 5 end, case when t.done then d.due - 3 end, case when t.done then b.user_id end,
       case when not t.done and d.due < current_date then d.due + 1 end, e.held_on::timestamptz + interval '30 days'
from gen_engagement e
join gen_person o on o.partnership_id = e.partnership_id and o.k = 13
join gen_person b on b.partnership_id = e.partnership_id and b.k = 1
cross join lateral (select e.held_on + 120 as due) d
cross join lateral (select d.due < current_date - 30 as done) t
where e.number % 4 = 0;

-- The library: twelve documents kept by the Learning and Development Group, each with a version a year from
-- the year it was written (a file through the papers owner, approved by the delegated partners), one in five
-- past its review date.
create temp table gen_document on commit drop as
select p.id as partnership_id, gen_random_uuid() as id, d.n, p.years, 1 + d.n % p.years as since
from gen_p p cross join generate_series(1, 12) d(n);
insert into library_document (partnership_id, id, kind, title, summary, owner_membership_id, group_id, review_on, published, created_at)
select d.partnership_id, d.id, (array['thresholds', 'policy', 'procedure', 'guidance', 'memorandum', 'information_sharing'])[1 + d.n % 6],
       (array['Thresholds document', 'Escalation and resolution policy', 'Child protection procedures', 'Neglect strategy',
              'Memorandum of understanding', 'Information sharing agreement', 'Allegations against staff procedure', 'Exploitation guidance',
              'Safer recruitment policy', 'Self-neglect guidance', 'Missing children procedure', 'Private fostering guidance'])[d.n],
       'Generated summary.', o.membership_id, g.id,
       current_date + case when d.n % 5 = 0 then -(d.n * 7) else 30 + d.n * 20 end, d.n % 2 = 0,
       now() - make_interval(years => d.since)
from gen_document d
join gen_person o on o.partnership_id = d.partnership_id and o.k = 1
join gen_group g on g.partnership_id = d.partnership_id and g.gi = 5;
create temp table gen_library_version on commit drop as
select d.partnership_id, gen_random_uuid() as id, d.id as document_id, v.v, gen_random_uuid() as paper_id,
       (now() - make_interval(years => d.since) + make_interval(years => v.v - 1))::date as uploaded_on
from gen_document d cross join generate_series(1, d.since) v(v);
insert into library_version (partnership_id, id, document_id, version, changes, approved_on, approved_by_group_id, uploaded_by, uploaded_at)
select l.partnership_id, l.id, l.document_id, l.v, 'Generated: reviewed and updated.', l.uploaded_on, g.id, b.user_id, l.uploaded_on::timestamptz
from gen_library_version l
join gen_group g on g.partnership_id = l.partnership_id and g.gi = 1
join gen_person b on b.partnership_id = l.partnership_id and b.k = 1;
insert into paper (partnership_id, id, library_version_id, title, filename, content_type, size_bytes, sha256, storage_key, uploaded_by, uploaded_at)
select l.partnership_id, l.paper_id, l.id, 'Version ' || l.v, 'document-v' || l.v || '.pdf', 'application/pdf', 120000,
       encode(sha256(convert_to(l.paper_id::text, 'UTF8')), 'hex'), l.partnership_id || '/papers/' || l.paper_id, b.user_id,
       l.uploaded_on::timestamptz
from gen_library_version l join gen_person b on b.partnership_id = l.partnership_id and b.k = 1;

-- The audit log: about 2,000 changes a year, interleaved across partnerships in time.
insert into audit_log (occurred_at, partnership_id, actor_user_id, action, subject_type, subject_id, after, client_address)
select t.at, t.partnership_id, a.user_id, v.action, v.subject_type, gen_random_uuid()::text, jsonb_build_object('note', 'generated'),
       '192.0.2.' || (1 + t.i % 200)
-- random() in the select list: a moment of its own for every row.
from (select p.id as partnership_id, i, now() - random() * make_interval(years => p.years) as at
      from gen_p p cross join lateral generate_series(1, (2000 * p.years * p.f)::int) i) t
join gen_person a on a.partnership_id = t.partnership_id and a.k = 1 + (t.i * 7919) % 30
cross join lateral (select (array['meeting.created', 'agenda_item.proposed', 'paper.uploaded', 'minutes.published', 'action.updated',
                                  'decision.raised', 'decision.responded', 'person.added', 'group.updated', 'sign_in'])[1 + t.i % 10] as action,
                           (array['meeting', 'agenda_item', 'paper', 'minutes', 'action_point', 'decision', 'decision', 'membership',
                                  'partnership_group', 'app_user'])[1 + t.i % 10] as subject_type) v
order by t.at;
