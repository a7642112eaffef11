//! Photos, voice and video attached to a survey: the type is sniffed from the bytes
//! (the browser's claim is ignored), sizes are capped per kind, files get random names
//! under `{dir}/{tenant}/` so nothing the customer sends reaches a path.

use std::path::{Path, PathBuf};

use rand::Rng;

use super::invitations;
use crate::error::{Error, Result};
use crate::store::Store;

/// What a file turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sniffed {
    pub kind: &'static str,
    pub content_type: &'static str,
    pub ext: &'static str,
}

const MIB: usize = 1024 * 1024;
/// Largest photo, voice message and video accepted.
pub const MAX_PHOTO: usize = 5 * MIB;
pub const MAX_AUDIO: usize = 10 * MIB;
pub const MAX_VIDEO: usize = 25 * MIB;
/// Files per invitation.
pub const MAX_FILES: i64 = 3;

const fn sniffed(kind: &'static str, content_type: &'static str, ext: &'static str) -> Sniffed {
    Sniffed {
        kind,
        content_type,
        ext,
    }
}

/// The type of `bytes` by their magic numbers; `None` for anything we do not keep.
pub fn sniff(bytes: &[u8]) -> Option<Sniffed> {
    let at = |offset: usize, magic: &[u8]| bytes.get(offset..offset + magic.len()) == Some(magic);
    if at(0, b"\xFF\xD8\xFF") {
        Some(sniffed("photo", "image/jpeg", "jpg"))
    } else if at(0, b"\x89PNG\r\n\x1a\n") {
        Some(sniffed("photo", "image/png", "png"))
    } else if at(0, b"RIFF") && at(8, b"WEBP") {
        Some(sniffed("photo", "image/webp", "webp"))
    } else if at(0, b"RIFF") && at(8, b"WAVE") {
        Some(sniffed("audio", "audio/wav", "wav"))
    } else if at(0, b"OggS") {
        Some(sniffed("audio", "audio/ogg", "ogg"))
    } else if at(0, b"ID3") || at(0, b"\xFF\xFB") || at(0, b"\xFF\xF3") || at(0, b"\xFF\xF2") {
        Some(sniffed("audio", "audio/mpeg", "mp3"))
    } else if at(4, b"ftypM4A ") {
        Some(sniffed("audio", "audio/mp4", "m4a"))
    } else if at(4, b"ftyp") {
        Some(sniffed("video", "video/mp4", "mp4"))
    } else if at(0, b"\x1A\x45\xDF\xA3") {
        // WebM/Matroska: what MediaRecorder records in Chromium and Firefox, voice included.
        Some(sniffed("video", "video/webm", "webm"))
    } else {
        None
    }
}

fn limit(kind: &str) -> usize {
    match kind {
        "photo" => MAX_PHOTO,
        "audio" => MAX_AUDIO,
        _ => MAX_VIDEO,
    }
}

/// Checks a file before it is stored; the error says what is wrong in plain words.
pub fn check(bytes: &[u8]) -> Result<Sniffed> {
    if bytes.is_empty() {
        return Err(Error::invalid("the file is empty"));
    }
    let Some(s) = sniff(bytes) else {
        return Err(Error::invalid(
            "only photos (JPEG, PNG, WebP), voice (Ogg, MP3, M4A, WAV) and video (MP4, WebM) are accepted",
        ));
    };
    let max = limit(s.kind);
    if bytes.len() > max {
        return Err(Error::invalid(format!(
            "a {} may be at most {} MiB",
            s.kind,
            max / MIB
        )));
    }
    Ok(s)
}

fn random_name(ext: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut rng = rand::rng();
    let name: String = (0..32)
        .map(|_| HEX[rng.random_range(0..16)] as char)
        .collect();
    format!("{name}.{ext}")
}

/// Stores a file for the survey behind `token` under `dir`; returns the media id.
/// `NotFound` for an unknown link, `Conflict` once answered or with `MAX_FILES` already,
/// `Invalid` for a wrong type or size (nothing is written then).
pub async fn attach(store: &Store, dir: &Path, token: &str, bytes: &[u8], now: i64) -> Result<i64> {
    let sniffed = check(bytes)?;
    let mut tx = store.begin().await?;
    let page = invitations::unanswered_in(&mut tx, token, now).await?;
    let count: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM survey_media WHERE invitation_id = $1",
    )
    .bind(page.invitation_id)
    .fetch_one(&mut *tx)
    .await?;
    if count >= MAX_FILES {
        return Err(Error::Conflict(format!(
            "at most {MAX_FILES} files per survey"
        )));
    }
    let folder = dir.join(page.tenant.id.to_string());
    let name = random_name(sniffed.ext);
    let file = format!("{}/{name}", page.tenant.id);
    write_file(&folder, &name, bytes).await?;
    let inserted = sqlx::query_scalar(
        "INSERT INTO survey_media (tenant_id, invitation_id, kind, content_type, size, file, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(page.tenant.id)
    .bind(page.invitation_id)
    .bind(sniffed.kind)
    .bind(sniffed.content_type)
    .bind(bytes.len() as i64)
    .bind(&file)
    .bind(now)
    .fetch_one(&mut *tx)
    .await;
    let done = match inserted {
        Ok(id) => tx.commit().await.map(|()| id),
        Err(e) => Err(e),
    };
    done.map_err(|e| {
        // Not recorded: the file must not stay behind.
        let _ = std::fs::remove_file(folder.join(&name));
        Error::from(e)
    })
}

/// Writes the file next to its final name and renames it, so a crash leaves no half file
/// under a recorded name.
async fn write_file(folder: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let io = |e: std::io::Error| Error::Invalid(format!("cannot store the file: {e}"));
    let folder: PathBuf = folder.to_path_buf();
    let (name, bytes) = (name.to_string(), bytes.to_vec());
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        std::fs::create_dir_all(&folder)?;
        let temp = folder.join(format!(".{name}.part"));
        std::fs::write(&temp, &bytes)?;
        std::fs::rename(&temp, folder.join(&name))
    })
    .await
    .map_err(|e| Error::Invalid(format!("cannot store the file: {e}")))?
    .map_err(io)
}

/// A stored file, for the panel (not served to the public).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    pub id: i64,
    pub kind: String,
    pub content_type: String,
    pub size: i64,
    /// Relative to the media directory.
    pub file: String,
}

/// The files attached to the survey behind `token`, oldest first.
pub async fn of_token(store: &Store, token: &str) -> Result<Vec<Media>> {
    if !invitations::token_shape_ok(token) {
        return Err(Error::NotFound("survey".into()));
    }
    let rows: Vec<(i64, String, String, i64, String)> = sqlx::query_as(
        "SELECT m.id, m.kind, m.content_type, m.size, m.file FROM survey_media m \
         JOIN survey_invitations i ON i.id = m.invitation_id WHERE i.token = $1 ORDER BY m.id",
    )
    .bind(token)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, kind, content_type, size, file)| Media {
            id,
            kind,
            content_type,
            size,
            file,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_bytes() {
        let kind = |b: &[u8]| sniff(b).map(|s| s.content_type);
        assert_eq!(kind(b"\xFF\xD8\xFF\xE0rest"), Some("image/jpeg"));
        assert_eq!(kind(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(kind(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(kind(b"OggS\0\x02"), Some("audio/ogg"));
        assert_eq!(kind(b"\0\0\0\x20ftypM4A \0"), Some("audio/mp4"));
        assert_eq!(kind(b"\0\0\0\x20ftypisom\0"), Some("video/mp4"));
        assert_eq!(kind(b"\x1A\x45\xDF\xA3\x01"), Some("video/webm"));
        assert_eq!(kind(b"<svg onload=alert(1)>"), None);
        assert_eq!(kind(b"MZ\x90\0"), None);
        assert_eq!(kind(b"RIFF"), None);
        assert_eq!(kind(b""), None);
    }

    #[test]
    fn sizes_are_capped_per_kind() {
        let mut photo = b"\xFF\xD8\xFF".to_vec();
        photo.resize(MAX_PHOTO, 0);
        assert!(check(&photo).is_ok());
        photo.push(0);
        let e = check(&photo).unwrap_err().to_string();
        assert!(e.contains("at most 5 MiB"), "{e}");
        assert!(check(b"").is_err());
        assert!(
            check(b"GIF89a")
                .unwrap_err()
                .to_string()
                .contains("only photos")
        );
    }
}
