//! Deterministic inputs for checks and benchmarks: the same bytes on every run, so a verdict or a figure does not
//! depend on what a random generator drew.

/// Deterministic pseudo-random bytes (xorshift64*), so every run checks the same inputs.
pub fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// A valid JSON document of about `size` bytes (a little more): an array of objects with unsorted keys, escaped and
/// non-ASCII strings, nested objects and arrays, and numbers written in every form JSON allows, chosen by `seed`.
pub fn json_document(size: usize, seed: u64) -> Vec<u8> {
    let noise = pseudo_random(size / 8 + 64, seed);
    let words =
        ["alpha", "beta", "gamma", "δέλτα", "ε\\n", "\\\"quoted\\\"", "tab\\tbed", "日本語", "<tag>&", "\\u00e9"];
    let numbers = ["0", "-1", "3.14159", "2.5e-3", "1E+21", "123456789012345678901234567890", "-0.0", "7"];
    let mut out = String::from("[");
    let mut i = 0;
    while out.len() < size {
        if i > 0 {
            out.push(',');
        }
        let n = noise[i % noise.len()] as usize;
        out.push_str(&format!(
            r#"{{"z{i}":{},"id":{i},"name":"{} {}","tags":["{}","{}"],"nested":{{"b":{},"a":null,"c":[true,false]}}}}"#,
            numbers[n % numbers.len()],
            words[n % words.len()],
            words[(n / 3) % words.len()],
            words[(n / 5) % words.len()],
            words[(n / 7) % words.len()],
            numbers[(n / 11) % numbers.len()],
        ));
        i += 1;
    }
    out.push(']');
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_bytes_and_another_seed_others() {
        assert_eq!(pseudo_random(1000, 7), pseudo_random(1000, 7));
        assert_ne!(pseudo_random(1000, 7), pseudo_random(1000, 8));
        assert_eq!(pseudo_random(13, 1).len(), 13);
    }

    #[test]
    fn a_json_document_is_valid_and_sized() {
        let doc = json_document(100_000, 1);
        assert!(doc.len() >= 100_000 && doc.len() < 101_000, "{}", doc.len());
        serde_json::from_slice::<serde_json::Value>(&doc).unwrap();
        assert_eq!(doc, json_document(100_000, 1));
    }
}
