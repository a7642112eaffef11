//! Which start times a party can book: pure functions of the rules, the tables, what is
//! already held, and an injected `now`. The same checks guard a booking being saved;
//! the database's slot rows then settle any race (see `bookings`).

use std::collections::{BTreeSet, HashSet};
use std::ops::Range;

use super::rules::{BookingRules, UNIT};
use crate::clock::{self, Zone};
use crate::error::{Error, Result};
use crate::groups::AllowedHours;

/// A bookable resource as availability sees it.
#[derive(Debug, Clone)]
pub struct Table {
    pub id: i64,
    pub min_party: i64,
    pub max_party: i64,
    /// Ids of the tables this one can be pushed together with.
    pub joinable: Vec<i64>,
    /// Own working hours (staff, with breaks as gaps); `None` = the branch's hours.
    pub hours: Option<AllowedHours>,
    /// Its own closed local dates (`YYYYMMDD`): a staff member's day off.
    pub closed: BTreeSet<i64>,
}

impl Table {
    /// Whether it works for the whole stay `[start, start + stay)`: not on a day off,
    /// inside its own hours (if it has any).
    pub fn works(&self, zone: &Zone, start: i64, stay: i64) -> bool {
        !self.closed.contains(&zone.day_key(start))
            && self
                .hours
                .as_ref()
                .is_none_or(|h| open_throughout(h, zone, start, stay))
    }
}

/// `(resource id, slot unit)` pairs held by live bookings.
pub type Held = HashSet<(i64, i64)>;

/// A start time that can be booked, and the tables it would get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub starts_at: i64,
    pub tables: Vec<i64>,
}

/// The slot units `[start, end)` covers (an unaligned end takes its whole unit).
pub fn units(start: i64, end: i64) -> Range<i64> {
    start.div_euclid(UNIT)..(end + UNIT - 1).div_euclid(UNIT)
}

/// Table sets that can seat `party`, best first: single tables whose range holds the
/// party (smallest first), then two or three joinable tables when no one of them is
/// big enough (smallest total first).
pub fn seatings(tables: &[Table], party: i64) -> Vec<Vec<i64>> {
    let mut singles: Vec<&Table> = tables
        .iter()
        .filter(|t| (t.min_party..=t.max_party).contains(&party))
        .collect();
    singles.sort_by_key(|t| (t.max_party, t.id));
    let mut out: Vec<Vec<i64>> = singles.iter().map(|t| vec![t.id]).collect();

    let by_id = |id: i64| tables.iter().find(|t| t.id == id);
    let joined = |a: &Table, b: i64| a.joinable.contains(&b);
    let mut combos: Vec<(i64, Vec<i64>)> = Vec::new();
    for a in tables.iter().filter(|t| t.max_party < party) {
        for b in a.joinable.iter().filter_map(|&id| by_id(id)) {
            if b.id <= a.id || b.max_party >= party {
                continue;
            }
            let pair = a.max_party + b.max_party;
            if pair >= party {
                combos.push((pair, vec![a.id, b.id]));
                continue;
            }
            // A third table joined to either of the two.
            for c in tables.iter().filter(|c| c.id > b.id && c.max_party < party) {
                if (joined(a, c.id) || joined(b, c.id)) && pair + c.max_party >= party {
                    combos.push((pair + c.max_party, vec![a.id, b.id, c.id]));
                }
            }
        }
    }
    combos.sort();
    out.extend(combos.into_iter().map(|(_, ids)| ids));
    out
}

/// Whether every unit of `[start, start + secs)` lies inside `hours` (local time).
pub fn open_throughout(hours: &AllowedHours, zone: &Zone, start: i64, secs: i64) -> bool {
    units(start, start + secs).all(|u| {
        let (day, minute) = zone.weekday_minute(u * UNIT);
        hours.contains(day, minute)
    })
}

/// The first table set (best first) that is free and working for a party of `party`
/// from `start`.
pub fn pick(
    rules: &BookingRules,
    tables: &[Table],
    held: &Held,
    start: i64,
    party: i64,
) -> Option<Vec<i64>> {
    let (stay, buffer) = rules.hold_secs(party);
    let span = units(start, start + stay + buffer);
    seatings(tables, party).into_iter().find(|set| {
        set.iter().all(|id| {
            let Some(t) = tables.iter().find(|t| t.id == *id) else {
                return false;
            };
            t.works(&rules.zone, start, stay) && span.clone().all(|u| !held.contains(&(*id, u)))
        })
    })
}

/// Why a start time cannot be booked under the branch's rules (tables aside).
pub fn check_start(rules: &BookingRules, start: i64, party: i64, now: i64) -> Result<()> {
    let zone = &rules.zone;
    let day = zone.day_key(start);
    let today = zone.day_key(now);
    if start < now + rules.min_notice * 60 {
        return Err(Error::invalid(format!(
            "bookings start at least {} minutes from now",
            rules.min_notice
        )));
    }
    if day > clock::add_days(today, rules.max_days_ahead)? {
        return Err(Error::invalid(format!(
            "bookings are taken at most {} days ahead",
            rules.max_days_ahead
        )));
    }
    if rules.closed.contains(&day) {
        return Err(Error::invalid("the branch is closed that day"));
    }
    let (stay, _) = rules.hold_secs(party);
    if !open_throughout(&rules.opening_hours, zone, start, stay) {
        return Err(Error::invalid(
            "the stay would fall outside the opening hours",
        ));
    }
    let offset = start - zone.start_of_day(day)?;
    if start % UNIT != 0 || offset % (rules.slot_interval * 60) != 0 {
        return Err(Error::invalid(format!(
            "bookings start every {} minutes",
            rules.slot_interval
        )));
    }
    Ok(())
}

/// Every start time on local date `day` (`YYYYMMDD`) the rules allow for a party of
/// `party` now, with the tables it would get (`None`: all taken — a waitlist time).
pub fn starts(
    rules: &BookingRules,
    tables: &[Table],
    held: &Held,
    day: i64,
    party: i64,
    now: i64,
) -> Result<Vec<(i64, Option<Vec<i64>>)>> {
    if party < 1 {
        return Ok(Vec::new());
    }
    let first = rules.zone.start_of_day(day)?;
    let next = rules.zone.start_of_day(clock::add_days(day, 1)?)?;
    let step = usize::try_from(rules.slot_interval * 60)
        .map_err(|_| Error::invalid("bad slot interval"))?;
    Ok((first..next)
        .step_by(step.max(1))
        .filter(|&start| check_start(rules, start, party, now).is_ok())
        .map(|start| (start, pick(rules, tables, held, start, party)))
        .collect())
}

/// Every start time on local date `day` a party of `party` can book now.
pub fn free_starts(
    rules: &BookingRules,
    tables: &[Table],
    held: &Held,
    day: i64,
    party: i64,
    now: i64,
) -> Result<Vec<Offer>> {
    Ok(starts(rules, tables, held, day, party, now)?
        .into_iter()
        .filter_map(|(starts_at, tables)| tables.map(|tables| Offer { starts_at, tables }))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reservations::rules::StayRules;

    const DAY: i64 = 20261206; // a Sunday (Tehran, UTC+03:30)

    fn rules() -> BookingRules {
        BookingRules {
            zone: Zone::named("Asia/Tehran").unwrap(),
            slot_interval: 15,
            stay: StayRules::parse(90, "1-2=60").unwrap(),
            buffer: 15,
            min_notice: 60,
            max_days_ahead: 30,
            opening_hours: "12:00-23:00".parse().unwrap(),
            closed: BTreeSet::new(),
        }
    }

    fn table(id: i64, min: i64, max: i64, joinable: &[i64]) -> Table {
        Table {
            id,
            min_party: min,
            max_party: max,
            joinable: joinable.to_vec(),
            hours: None,
            closed: BTreeSet::new(),
        }
    }

    /// Local time on DAY as unix seconds.
    fn at(hh: i64, mm: i64) -> i64 {
        rules().zone.start_of_day(DAY).unwrap() + hh * 3600 + mm * 60
    }

    fn times(offers: &[Offer]) -> Vec<String> {
        let zone = rules().zone;
        offers.iter().map(|o| zone.hh_mm(o.starts_at)).collect()
    }

    /// A booking of `table` holding `[start, start + minutes)`.
    fn hold(held: &mut Held, table: i64, start: i64, minutes: i64) {
        for u in units(start, start + minutes * 60) {
            held.insert((table, u));
        }
    }

    #[test]
    fn opening_hours_and_stay_bound_the_starts() {
        let tables = [table(1, 1, 4, &[])];
        let now = at(0, 0) - 86_400;
        let offers = free_starts(&rules(), &tables, &Held::new(), DAY, 4, now).unwrap();
        let t = times(&offers);
        // 90-minute stays between 12:00 and 23:00: 12:00 … 21:30 every 15 minutes.
        assert_eq!(t.first().unwrap(), "12:00");
        assert_eq!(t.last().unwrap(), "21:30");
        assert_eq!(t.len(), 39);
        // Two people stay 60 minutes: the last start is 22:00.
        let two = free_starts(&rules(), &tables, &Held::new(), DAY, 2, now).unwrap();
        assert_eq!(times(&two).last().unwrap(), "22:00");
        assert!(offers.iter().all(|o| o.tables == vec![1]));
    }

    #[test]
    fn past_and_too_soon_are_never_offered() {
        let tables = [table(1, 1, 4, &[])];
        let now = at(15, 7);
        let offers = free_starts(&rules(), &tables, &Held::new(), DAY, 2, now).unwrap();
        // 60 minutes of notice from 15:07 → first start 16:15.
        assert_eq!(times(&offers).first().unwrap(), "16:15");
        assert!(offers.iter().all(|o| o.starts_at >= now + 3600));
        // Yesterday: nothing at all.
        let yesterday = clock::add_days(DAY, -1).unwrap();
        assert!(
            free_starts(&rules(), &tables, &Held::new(), yesterday, 2, now)
                .unwrap()
                .is_empty()
        );
        // Taken times are still allowed starts (for the waitlist), without tables.
        let mut held = Held::new();
        hold(&mut held, 1, at(18, 0), 120);
        let all = starts(&rules(), &tables, &held, DAY, 2, now).unwrap();
        let full: Vec<i64> = all
            .iter()
            .filter(|(_, t)| t.is_none())
            .map(|(s, _)| *s)
            .collect();
        assert_eq!(full.first(), Some(&at(17, 0)));
        assert_eq!(full.last(), Some(&at(19, 45)));
        // Beyond the booking horizon: nothing.
        let far = clock::add_days(DAY, 31).unwrap();
        assert!(
            free_starts(&rules(), &tables, &Held::new(), far, 2, now)
                .unwrap()
                .is_empty()
        );
        assert!(
            !free_starts(
                &rules(),
                &tables,
                &Held::new(),
                clock::add_days(DAY, 30).unwrap(),
                2,
                now
            )
            .unwrap()
            .is_empty()
        );
    }

    #[test]
    fn closed_dates_offer_nothing() {
        let mut r = rules();
        r.closed.insert(DAY);
        let tables = [table(1, 1, 4, &[])];
        assert!(
            free_starts(&r, &tables, &Held::new(), DAY, 2, at(0, 0) - 86_400)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn existing_bookings_and_buffers_block_the_table() {
        let tables = [table(1, 1, 4, &[])];
        let mut held = Held::new();
        // A party of four at 18:00: 90 minutes + 15 buffer → held 18:00–19:45.
        hold(&mut held, 1, at(18, 0), 105);
        let now = at(0, 0) - 86_400;
        let t = times(&free_starts(&rules(), &tables, &held, DAY, 4, now).unwrap());
        // A new 90+15 booking must end its buffer by 18:00 → latest start 16:15;
        // the next possible start is 19:45.
        assert!(t.contains(&"16:15".to_string()));
        assert!(!t.contains(&"16:30".to_string()));
        assert!(!t.contains(&"19:30".to_string()));
        assert!(t.contains(&"19:45".to_string()));
    }

    #[test]
    fn capacity_picks_the_smallest_fitting_table() {
        let tables = [
            table(1, 1, 2, &[]),
            table(2, 2, 6, &[]),
            table(3, 5, 8, &[]),
        ];
        assert_eq!(seatings(&tables, 2), vec![vec![1], vec![2]]);
        assert_eq!(seatings(&tables, 1), vec![vec![1]]);
        assert_eq!(seatings(&tables, 7), vec![vec![3]]);
        assert!(seatings(&tables, 9).is_empty());
        // The small table is taken: the party of two gets table 2.
        let mut held = Held::new();
        hold(&mut held, 1, at(12, 0), 600);
        assert_eq!(pick(&rules(), &tables, &held, at(13, 0), 2), Some(vec![2]));
    }

    #[test]
    fn joinable_tables_seat_bigger_parties() {
        // 1–2 joinable, 2–3 joinable; 4 stands alone.
        let tables = [
            table(1, 1, 4, &[2]),
            table(2, 1, 4, &[1, 3]),
            table(3, 1, 2, &[2]),
            table(4, 1, 4, &[]),
        ];
        assert_eq!(seatings(&tables, 6), vec![vec![2, 3], vec![1, 2]]);
        assert_eq!(seatings(&tables, 8), vec![vec![1, 2]]);
        assert_eq!(seatings(&tables, 10), vec![vec![1, 2, 3]]);
        assert!(seatings(&tables, 11).is_empty());
        // Table 3 is taken: six people get 1+2.
        let mut held = Held::new();
        hold(&mut held, 3, at(12, 0), 600);
        assert_eq!(
            pick(&rules(), &tables, &held, at(13, 0), 6),
            Some(vec![1, 2])
        );
        hold(&mut held, 1, at(12, 0), 600);
        assert_eq!(pick(&rules(), &tables, &held, at(13, 0), 6), None);
    }

    #[test]
    fn staff_working_hours_with_a_break() {
        let mut barber = table(7, 1, 1, &[]);
        barber.hours = Some("12:00-14:00; 15:00-20:00".parse().unwrap());
        let mut r = rules();
        r.stay = StayRules::parse(30, "").unwrap();
        r.buffer = 0;
        let t =
            times(&free_starts(&r, &[barber], &Held::new(), DAY, 1, at(0, 0) - 86_400).unwrap());
        assert!(t.contains(&"13:30".to_string()));
        assert!(!t.contains(&"13:45".to_string()));
        assert!(!t.contains(&"14:30".to_string()));
        assert!(t.contains(&"15:00".to_string()));
        assert_eq!(t.last().unwrap(), "19:30");
    }

    #[test]
    fn a_day_off_takes_the_resource_out_that_day_only() {
        let mut barber = table(7, 1, 1, &[]);
        barber.closed.insert(DAY);
        let now = at(0, 0) - 86_400;
        assert!(
            free_starts(&rules(), &[barber.clone()], &Held::new(), DAY, 1, now)
                .unwrap()
                .is_empty()
        );
        let next = clock::add_days(DAY, 1).unwrap();
        assert!(
            !free_starts(&rules(), &[barber], &Held::new(), next, 1, now)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn check_start_explains_refusals() {
        let r = rules();
        let now = at(12, 0);
        assert!(check_start(&r, at(14, 0), 2, now).is_ok());
        assert!(check_start(&r, at(12, 30), 2, now).is_err()); // too soon
        assert!(check_start(&r, at(14, 5), 2, now).is_err()); // not on the 15-minute grid
        assert!(check_start(&r, at(22, 30), 2, now).is_err()); // runs past closing
        assert!(check_start(&r, at(14, 0) + 40 * 86_400, 2, now).is_err()); // too far
    }
}
