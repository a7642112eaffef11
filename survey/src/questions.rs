//! The "precision" questions on the survey page: read from the posted form (field
//! `q{id}`, a categories question `q{id}_{n}` per category) and shown again with what
//! was chosen and each problem next to its question.

use crm::surveys::questions::{Kind, Problem, Question, Reply};
use crm::ui::Locale;

use crate::i18n::Texts;

fn values<'a>(pairs: &'a [(String, String)], name: &'a str) -> impl Iterator<Item = &'a str> {
    pairs
        .iter()
        .filter(move |(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// The replies as posted, and the questions whose answer could not even be read.
type Parsed = (Vec<(i64, Reply)>, Vec<(i64, Problem)>);

/// The replies as posted; a value that is not even a number is that question's problem.
pub fn parse(pairs: &[(String, String)], questions: &[Question], categories: &[String]) -> Parsed {
    let (mut replies, mut problems) = (Vec::new(), Vec::new());
    for q in questions {
        let name = format!("q{}", q.id);
        let reply = match q.kind {
            Kind::Rating | Kind::Nps => match values(pairs, &name).next() {
                None => continue,
                Some(v) => v.parse().map(Reply::Number).ok(),
            },
            Kind::Choice | Kind::Multi => values(pairs, &name)
                .map(str::parse)
                .collect::<Result<Vec<usize>, _>>()
                .map(Reply::Choices)
                .ok(),
            Kind::Categories => categories
                .iter()
                .enumerate()
                .filter_map(|(i, c)| {
                    let field = format!("{name}_{i}");
                    let v = values(pairs, &field).next()?;
                    Some(v.parse().map(|n| (c.clone(), n)))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Reply::Categories)
                .ok(),
            Kind::Text => values(pairs, &name)
                .next()
                .map(|t| Reply::Text(t.to_string())),
        };
        match reply {
            Some(r) => replies.push((q.id, r)),
            None if q.kind == Kind::Text => {}
            None => problems.push((q.id, Problem::Invalid)),
        }
    }
    (replies, problems)
}

pub fn problem_text(p: Problem, t: &'static Texts) -> &'static str {
    match p {
        Problem::Required => t.q_required,
        Problem::Invalid => t.q_invalid,
        Problem::OneOnly => t.q_one_only,
        Problem::TooLong => t.q_too_long,
    }
}

/// An option, category or scale point as the template shows it.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

pub struct QuestionView {
    pub id: i64,
    pub kind: &'static str,
    pub label: String,
    pub required: bool,
    /// Shown only when the overall rating is at most this (0 = always).
    pub show_if: i64,
    /// The options (choice, multi) or the scale (rating 1–5, nps 0–10).
    pub choices: Vec<Choice>,
    /// Categories: (field name, category, its 1–5 scale).
    pub rows: Vec<(String, String, Vec<Choice>)>,
    pub text: String,
    pub error: Option<&'static str>,
}

pub fn views(
    questions: &[Question],
    categories: &[String],
    pairs: &[(String, String)],
    problems: &[(i64, Problem)],
    locale: Locale,
    t: &'static Texts,
) -> Vec<QuestionView> {
    let scale = |name: &str, range: std::ops::RangeInclusive<i64>| -> Vec<Choice> {
        let picked: Vec<&str> = values(pairs, name).collect();
        range
            .map(|n| Choice {
                value: n.to_string(),
                label: locale.digits(&n.to_string()),
                checked: picked.contains(&n.to_string().as_str()),
            })
            .collect()
    };
    questions
        .iter()
        .filter(|q| q.kind != Kind::Categories || !categories.is_empty())
        .map(|q| {
            let name = format!("q{}", q.id);
            let choices = match q.kind {
                Kind::Rating => scale(&name, 1..=5),
                Kind::Nps => scale(&name, 0..=10),
                Kind::Choice | Kind::Multi => {
                    let picked: Vec<&str> = values(pairs, &name).collect();
                    (0..q.options.len())
                        .map(|i| Choice {
                            value: i.to_string(),
                            label: q.option_in(i, locale).to_string(),
                            checked: picked.contains(&i.to_string().as_str()),
                        })
                        .collect()
                }
                Kind::Categories | Kind::Text => Vec::new(),
            };
            let rows = if q.kind == Kind::Categories {
                categories
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let field = format!("{name}_{i}");
                        let s = scale(&field, 1..=5);
                        (field, c.clone(), s)
                    })
                    .collect()
            } else {
                Vec::new()
            };
            QuestionView {
                id: q.id,
                kind: q.kind.name(),
                label: q.label_in(locale).to_string(),
                required: q.required,
                show_if: q.show_if_at_most.unwrap_or(0),
                choices,
                rows,
                text: if q.kind == Kind::Text {
                    values(pairs, &name).next().unwrap_or("").to_string()
                } else {
                    String::new()
                },
                error: problems
                    .iter()
                    .find(|(id, _)| *id == q.id)
                    .map(|&(_, p)| problem_text(p, t)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn replies_parse_from_the_form() {
        let q = |id, kind| Question {
            id,
            kind,
            label: "q".into(),
            options: vec![],
            label_en: String::new(),
            options_en: vec![],
            required: false,
            show_if_at_most: None,
        };
        let qs = [
            q(1, Kind::Nps),
            q(2, Kind::Multi),
            q(3, Kind::Categories),
            q(4, Kind::Text),
            q(5, Kind::Rating),
        ];
        let cats = ["Drinks".to_string(), "Food".to_string()];
        let (replies, problems) = parse(
            &pairs(&[
                ("q1", "9"),
                ("q2", "0"),
                ("q2", "2"),
                ("q3_1", "4"),
                ("q4", "  "),
                ("q5", "x"),
            ]),
            &qs,
            &cats,
        );
        assert_eq!(
            replies,
            vec![
                (1, Reply::Number(9)),
                (2, Reply::Choices(vec![0, 2])),
                (3, Reply::Categories(vec![("Food".into(), 4)])),
            ]
        );
        assert_eq!(problems, vec![(5, Problem::Invalid)]);
    }
}
