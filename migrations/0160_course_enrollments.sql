-- Course enrollments reported by course platforms (Teachable's Enrollment events and its
-- enrollment lists). An enrollment is not a purchase — free courses, bundles and manual
-- enrollments have none — so it lives beside the purchases table and shows on the customer's
-- timeline and as a count on the revenue page.
create table course_enrollments (
  site_id bigint not null references sites (id) on delete cascade,
  provider text not null,
  -- The platform's stable name for the enrollment, the same from a webhook and a backfill
  -- ("course:<id>:user:<id>"), so a replay or a second sync stores it once.
  enrollment_key text not null,
  -- Lower case; '' when the platform did not say.
  email text not null default '',
  customer_id bigint,
  course text not null default '',
  enrolled_at timestamptz not null,
  -- Set while the enrollment is disabled or expired; cleared when it is enabled again.
  ended_at timestamptz,
  -- When the platform stated the current state: an older report never overwrites a newer one.
  state_at timestamptz not null,
  primary key (site_id, provider, enrollment_key)
);
create index course_enrollments_site_time on course_enrollments (site_id, enrolled_at);
create index course_enrollments_site_customer on course_enrollments (site_id, customer_id)
  where customer_id is not null;
