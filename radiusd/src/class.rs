//! The `Class` we put in Access-Accept and the router echoes in accounting: it ties a
//! session to whom it was admitted for and under which group, without a lookup.
//! Format: `smartx:c<customer id>:g<group id>` or `smartx:a<account id>:g<group id>`.

use crm::hotspot::Subject;

const PREFIX: &str = "smartx:";

pub fn encode(subject: Subject, group_id: i64) -> String {
    let kind = match subject {
        Subject::Customer(_) => 'c',
        Subject::Account(_) => 'a',
    };
    format!("{PREFIX}{kind}{}:g{group_id}", subject.id())
}

/// `None` for a Class we did not write (another server's, or none).
pub fn decode(value: &[u8]) -> Option<(Subject, i64)> {
    let text = std::str::from_utf8(value).ok()?.strip_prefix(PREFIX)?;
    let (who, group) = text.split_once(':')?;
    let group: i64 = group.strip_prefix('g')?.parse().ok()?;
    let id: i64 = who.get(1..)?.parse().ok()?;
    let subject = match who.as_bytes().first()? {
        b'c' => Subject::Customer(id),
        b'a' => Subject::Account(id),
        _ => return None,
    };
    Some((subject, group))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_garbage() {
        let v = encode(Subject::Customer(42), 3);
        assert_eq!(v, "smartx:c42:g3");
        assert_eq!(decode(v.as_bytes()), Some((Subject::Customer(42), 3)));
        assert_eq!(
            decode(encode(Subject::Account(7), 1).as_bytes()),
            Some((Subject::Account(7), 1))
        );
        for bad in [
            "",
            "smartx:",
            "smartx:x1:g1",
            "smartx:c:g1",
            "other:c1:g1",
            "smartx:c1:gx",
        ] {
            assert_eq!(decode(bad.as_bytes()), None, "{bad}");
        }
        assert_eq!(decode(&[0xff, 0xfe]), None);
    }
}
