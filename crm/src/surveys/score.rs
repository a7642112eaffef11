//! Satisfaction scores as pure functions over histograms `(score, how many)`, so the
//! report can count in SQL (`GROUP BY`) and the arithmetic stays testable here.

/// Net Promoter Score in whole percent (−100..=100): % promoters (9–10) − % detractors
/// (0–6) of all 0–10 answers. `None` without answers.
pub fn nps(histogram: &[(i64, i64)]) -> Option<i64> {
    let (mut total, mut promoters, mut detractors) = (0i64, 0i64, 0i64);
    for &(score, n) in histogram {
        if !(0..=10).contains(&score) || n <= 0 {
            continue;
        }
        total += n;
        match score {
            9..=10 => promoters += n,
            0..=6 => detractors += n,
            _ => {}
        }
    }
    (total > 0).then(|| percent(promoters - detractors, total))
}

/// Customer satisfaction in whole percent: the share of 1–5 ratings that are 4 or 5.
/// `None` without ratings.
pub fn csat(histogram: &[(i64, i64)]) -> Option<i64> {
    let (mut total, mut satisfied) = (0i64, 0i64);
    for &(rating, n) in histogram {
        if !(1..=5).contains(&rating) || n <= 0 {
            continue;
        }
        total += n;
        if rating >= 4 {
            satisfied += n;
        }
    }
    (total > 0).then(|| percent(satisfied, total))
}

/// The mean of 1–5 ratings in tenths (43 = 4.3), rounded half away from zero. `None`
/// without ratings.
pub fn average_tenths(histogram: &[(i64, i64)]) -> Option<i64> {
    let (mut total, mut sum) = (0i64, 0i64);
    for &(rating, n) in histogram {
        if (1..=5).contains(&rating) && n > 0 {
            total += n;
            sum += rating * n;
        }
    }
    // sum / total × 10, rounded half up (everything here is positive).
    (total > 0).then(|| (sum * 20 / total + 1) / 2)
}

/// `part / total` in percent, rounded half away from zero (integers only).
pub(crate) fn percent(part: i64, total: i64) -> i64 {
    let scaled = part * 200 / total;
    (scaled + scaled.signum()) / 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn average_is_in_tenths() {
        assert_eq!(average_tenths(&[]), None);
        assert_eq!(average_tenths(&[(5, 1)]), Some(50));
        // (5 + 4 + 4) / 3 = 4.333…
        assert_eq!(average_tenths(&[(5, 1), (4, 2)]), Some(43));
        // (5 + 4) / 2 = 4.5; (1 + 2) / 2 = 1.5; out-of-range scores are ignored.
        assert_eq!(average_tenths(&[(5, 1), (4, 1), (9, 3)]), Some(45));
        assert_eq!(average_tenths(&[(1, 1), (2, 1)]), Some(15));
    }

    #[test]
    fn nps_is_promoters_minus_detractors() {
        assert_eq!(nps(&[]), None);
        // 5 promoters, 3 passives, 2 detractors of 10 → 50 − 20 = 30.
        assert_eq!(
            nps(&[(10, 3), (9, 2), (8, 2), (7, 1), (6, 1), (0, 1)]),
            Some(30)
        );
        assert_eq!(nps(&[(10, 4)]), Some(100));
        assert_eq!(nps(&[(3, 4), (6, 1)]), Some(-100));
        assert_eq!(nps(&[(7, 1), (8, 1)]), Some(0));
        // 1 promoter, 2 detractors of 3 → −33.
        assert_eq!(nps(&[(9, 1), (2, 2)]), Some(-33));
        // Out-of-range scores are not answers.
        assert_eq!(nps(&[(11, 5), (-1, 2)]), None);
    }

    #[test]
    fn csat_is_the_share_of_four_and_five() {
        assert_eq!(csat(&[]), None);
        assert_eq!(csat(&[(5, 1), (4, 1), (3, 1)]), Some(67));
        assert_eq!(csat(&[(1, 3)]), Some(0));
        assert_eq!(csat(&[(5, 2)]), Some(100));
        assert_eq!(csat(&[(4, 1), (2, 7)]), Some(13));
        assert_eq!(csat(&[(0, 9), (6, 1)]), None);
    }
}
