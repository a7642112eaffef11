//! A .zip of a few small text files, stored without compression: enough for the
//! hotspot pages a router owner uploads, without a compression library.

/// CRC-32 (ISO-HDLC), as zip wants it.
fn crc32(data: &[u8]) -> u32 {
    crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC).checksum(data)
}

fn u16le(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn u32le(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// The fields a local header and its central directory entry share, from "version
/// needed" through "extra length".
fn common(out: &mut Vec<u8>, name: &str, crc: u32, size: u32) {
    u16le(out, 20); // version needed: 2.0
    u16le(out, 0x0800); // names are UTF-8
    u16le(out, 0); // stored
    u16le(out, 0); // time 00:00
    u16le(out, (1 << 5) | 1); // 1980-01-01: the files' date is not ours to tell
    u32le(out, crc);
    u32le(out, size);
    u32le(out, size);
    u16le(out, name.len() as u16);
    u16le(out, 0);
}

/// The archive of `files` (name, content). Names and sizes are ours and small, so the
/// 16/32-bit fields cannot overflow (no zip64).
pub fn stored(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in files {
        let offset = out.len() as u32;
        let (crc, size) = (crc32(data), data.len() as u32);
        u32le(&mut out, 0x0403_4b50);
        common(&mut out, name, crc, size);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        u32le(&mut central, 0x0201_4b50);
        u16le(&mut central, 20); // made by: 2.0, MS-DOS attributes
        common(&mut central, name, crc, size);
        u16le(&mut central, 0); // comment
        u16le(&mut central, 0); // disk
        u16le(&mut central, 0); // internal attributes
        u32le(&mut central, 0); // external attributes
        u32le(&mut central, offset);
        central.extend_from_slice(name.as_bytes());
    }
    let (at, len) = (out.len() as u32, central.len() as u32);
    out.extend_from_slice(&central);
    u32le(&mut out, 0x0605_4b50);
    u16le(&mut out, 0);
    u16le(&mut out, 0);
    u16le(&mut out, files.len() as u16);
    u16le(&mut out, files.len() as u16);
    u32le(&mut out, len);
    u32le(&mut out, at);
    u16le(&mut out, 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_and_layout() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        let zip = stored(&[("a.txt", b"hi".to_vec()), ("b.html", Vec::new())]);
        assert_eq!(&zip[..4], b"PK\x03\x04");
        assert_eq!(&zip[30..35], b"a.txt");
        assert_eq!(&zip[35..37], b"hi");
        let end = &zip[zip.len() - 22..];
        assert_eq!(&end[..4], b"PK\x05\x06");
        assert_eq!(u16::from_le_bytes([end[10], end[11]]), 2);
        let at = u32::from_le_bytes([end[16], end[17], end[18], end[19]]) as usize;
        assert_eq!(&zip[at..at + 4], b"PK\x01\x02");
    }
}
