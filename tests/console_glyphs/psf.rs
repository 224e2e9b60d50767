//! The characters a Linux console font can draw: the Unicode table of a PC Screen Font, PSF1
//! or PSF2 (kbd's `font-formats` document), gzipped as Debian ships them. The kernel draws a
//! character with the glyph whose table entry lists it, and with the replacement glyph when
//! none does; a table entry's sequences (a letter and its combining marks) don't count, since
//! the console draws one character a cell.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;

const PSF1_MAGIC: [u8; 2] = [0x36, 0x04];
const PSF1_512_GLYPHS: u8 = 0x01;
const PSF1_HAS_TABLE: u8 = 0x02;
const PSF1_SEPARATOR: u16 = 0xFFFF;
const PSF1_SEQUENCE: u16 = 0xFFFE;

const PSF2_MAGIC: [u8; 4] = [0x72, 0xb5, 0x4a, 0x86];
const PSF2_HAS_TABLE: u32 = 0x01;
const PSF2_SEPARATOR: u8 = 0xFF;
const PSF2_SEQUENCE: u8 = 0xFE;

/// The characters of the gzipped font at `path`.
pub fn read(path: &Path) -> Result<BTreeSet<char>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(file).read_to_end(&mut bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    characters(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// The characters a PSF font's Unicode table maps to a glyph.
pub fn characters(font: &[u8]) -> Result<BTreeSet<char>, String> {
    if font.starts_with(&PSF1_MAGIC) {
        psf1(font)
    } else if font.starts_with(&PSF2_MAGIC) {
        psf2(font)
    } else {
        Err("not a PSF font (no PSF1 or PSF2 magic)".into())
    }
}

fn psf1(font: &[u8]) -> Result<BTreeSet<char>, String> {
    let (mode, glyph_size) = match font {
        [_, _, mode, size, ..] => (*mode, usize::from(*size)),
        _ => return Err("PSF1 header cut short".into()),
    };
    if mode & PSF1_HAS_TABLE == 0 {
        return Err("no Unicode table".into());
    }
    let glyphs = if mode & PSF1_512_GLYPHS != 0 { 512 } else { 256 };
    let table = font.get(4 + glyphs * glyph_size..).ok_or("PSF1 glyphs cut short")?;
    let units = table.chunks_exact(2).map(|pair| u16::from_le_bytes([pair[0], pair[1]]));
    let mut characters = BTreeSet::new();
    let (mut ended, mut in_sequences) = (0, false);
    for unit in units {
        match unit {
            PSF1_SEPARATOR if ended + 1 == glyphs => {
                ended += 1;
                break;
            }
            PSF1_SEPARATOR => (ended, in_sequences) = (ended + 1, false),
            PSF1_SEQUENCE => in_sequences = true,
            _ if in_sequences => {}
            unit => {
                characters.insert(char::from_u32(unit.into()).ok_or(format!("U+{unit:04X} is no character"))?);
            }
        }
    }
    match ended == glyphs {
        true => Ok(characters),
        false => Err(format!("the Unicode table ends after {ended} of {glyphs} glyphs")),
    }
}

fn psf2(font: &[u8]) -> Result<BTreeSet<char>, String> {
    let word = |index: usize| -> Result<usize, String> {
        let bytes = font.get(4 * index..4 * index + 4).ok_or("PSF2 header cut short")?;
        Ok(u32::from_le_bytes(bytes.try_into().expect("four bytes")) as usize)
    };
    let (header_size, flags, glyphs, glyph_size) = (word(2)?, word(3)?, word(4)?, word(5)?);
    if flags as u32 & PSF2_HAS_TABLE == 0 {
        return Err("no Unicode table".into());
    }
    let start = glyphs.checked_mul(glyph_size).and_then(|size| size.checked_add(header_size));
    let table = start.and_then(|start| font.get(start..)).ok_or("PSF2 glyphs cut short")?;
    let ends = table.iter().filter(|byte| **byte == PSF2_SEPARATOR).count();
    if ends < glyphs {
        return Err(format!("the Unicode table ends after {ends} of {glyphs} glyphs"));
    }
    let mut characters = BTreeSet::new();
    for (glyph, entry) in table.split(|byte| *byte == PSF2_SEPARATOR).take(glyphs).enumerate() {
        let singles = entry.split(|byte| *byte == PSF2_SEQUENCE).next().unwrap_or_default();
        let text = std::str::from_utf8(singles).map_err(|e| format!("glyph {glyph}: {e}"))?;
        characters.extend(text.chars());
    }
    Ok(characters)
}
