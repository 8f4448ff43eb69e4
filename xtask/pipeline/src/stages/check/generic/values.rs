//! Values of any WIT type, made up from the type alone for the generic stress: deterministic (a seed decides
//! every choice), and as large as asked where the type can be (strings and lists take the byte budget; records,
//! tuples and parameter lists share it among the members that can grow). Also a digest of a value, to compare two
//! answers without keeping them.

use std::hash::{Hash, Hasher};

use host::wasmtime::component::{Type, Val};

/// A splitmix64 generator: every value the stress makes is decided by its seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Why a type cannot be made up: it holds a handle (only the component or a typed host can make one) or an
/// asynchronous value; `None` when it can.
pub fn unmakeable(ty: &Type) -> Option<&'static str> {
    match ty {
        Type::Own(_) | Type::Borrow(_) => Some("a resource handle"),
        Type::Future(_) | Type::Stream(_) | Type::ErrorContext => Some("an asynchronous value"),
        Type::List(t) => unmakeable(&t.ty()),
        Type::FixedLengthList(t) => unmakeable(&t.ty()),
        Type::Map(t) => unmakeable(&t.key()).or_else(|| unmakeable(&t.value())),
        Type::Option(t) => unmakeable(&t.ty()),
        Type::Result(t) => t.ok().iter().chain(t.err().iter()).find_map(unmakeable),
        Type::Record(t) => t.fields().find_map(|f| unmakeable(&f.ty)),
        Type::Tuple(t) => t.types().find_map(|t| unmakeable(&t)),
        Type::Variant(t) => t.cases().find_map(|c| c.ty.as_ref().and_then(unmakeable)),
        _ => None,
    }
}

/// Whether a value of `ty` can hold a string or a list: what the host lowers through the guest's `cabi_realloc`,
/// the moment the stress is after.
pub fn carries_data(ty: &Type) -> bool {
    match ty {
        Type::String | Type::List(_) | Type::Map(_) => true,
        Type::FixedLengthList(t) => carries_data(&t.ty()),
        Type::Option(t) => carries_data(&t.ty()),
        Type::Result(t) => t.ok().iter().chain(t.err().iter()).any(carries_data),
        Type::Record(t) => t.fields().any(|f| carries_data(&f.ty)),
        Type::Tuple(t) => t.types().any(|t| carries_data(&t)),
        Type::Variant(t) => t.cases().any(|c| c.ty.as_ref().is_some_and(carries_data)),
        _ => false,
    }
}

/// Values for the members of a record or tuple of `types`, the strings and lists among them sharing `budget`.
pub fn make_all(types: &[Type], budget: usize, rng: &mut Rng) -> Vec<Val> {
    let growing = types.iter().filter(|t| carries_data(t)).count().max(1);
    types.iter().map(|t| make(t, budget / growing, rng)).collect()
}

/// Arguments for a parameter list of `types`: the `carrier`-th of those that can grow (modulo their number) takes
/// `budget`, the others stay small (16 bytes). One argument at a time carries the size, since a function may
/// multiply one argument by another (a separator put between a million strings); the caller rotates the carrier.
pub fn arguments(types: &[Type], budget: usize, carrier: usize, rng: &mut Rng) -> Vec<Val> {
    let growing = types.iter().filter(|t| carries_data(t)).count().max(1);
    let mut index = 0;
    types
        .iter()
        .map(|t| {
            if !carries_data(t) {
                return make(t, 0, rng);
            }
            index += 1;
            make(t, if index - 1 == carrier % growing { budget } else { 16 }, rng)
        })
        .collect()
}

/// How many of `types` can grow.
pub fn growing(types: &[Type]) -> usize {
    types.iter().filter(|t| carries_data(t)).count()
}

/// A value of `ty` of about `budget` bytes where it can grow (a string or a list, or anything holding one), else
/// as small as its type. Integers stay small (below 64): a parameter is often a count or a size the component
/// acts on, and the stress is about the bytes that cross, not about what a count of four billion would do.
/// The type must be makeable ([`unmakeable`]).
pub fn make(ty: &Type, budget: usize, rng: &mut Rng) -> Val {
    let small = |rng: &mut Rng| rng.below(64);
    match ty {
        Type::Bool => Val::Bool(rng.below(2) == 1),
        Type::S8 => Val::S8(small(rng) as i8 - 32),
        Type::U8 => Val::U8(rng.next() as u8),
        Type::S16 => Val::S16(small(rng) as i16 - 32),
        Type::U16 => Val::U16(small(rng) as u16),
        Type::S32 => Val::S32(small(rng) as i32 - 32),
        Type::U32 => Val::U32(small(rng) as u32),
        Type::S64 => Val::S64(small(rng) as i64 - 32),
        Type::U64 => Val::U64(small(rng)),
        Type::Float32 => Val::Float32(small(rng) as f32 / 4.0),
        Type::Float64 => Val::Float64(small(rng) as f64 / 4.0),
        Type::Char => Val::Char(text_char(rng)),
        Type::String => Val::String(text(budget, rng)),
        Type::List(list) => {
            let element = list.ty();
            match flat_size(&element) {
                Some(size) => Val::List((0..budget / size).map(|_| make(&element, 0, rng)).collect()),
                None => {
                    let (count, each) = split(budget);
                    Val::List((0..count).map(|_| make(&element, each, rng)).collect())
                }
            }
        }
        Type::FixedLengthList(list) => {
            let element = list.ty();
            let each = budget / (list.len() as usize).max(1);
            Val::FixedLengthList((0..list.len()).map(|_| make(&element, each, rng)).collect())
        }
        Type::Map(map) => {
            let (count, each) = split(budget);
            let (key, value) = (map.key(), map.value());
            Val::Map((0..count).map(|_| (make(&key, each / 2, rng), make(&value, each / 2, rng))).collect())
        }
        Type::Record(record) => {
            let fields: Vec<_> = record.fields().collect();
            let types: Vec<Type> = fields.iter().map(|f| f.ty.clone()).collect();
            let values = make_all(&types, budget, rng);
            Val::Record(fields.iter().map(|f| f.name.to_string()).zip(values).collect())
        }
        Type::Tuple(tuple) => {
            let types: Vec<Type> = tuple.types().collect();
            Val::Tuple(make_all(&types, budget, rng))
        }
        Type::Variant(variant) => {
            let cases: Vec<_> = variant.cases().collect();
            let case = &cases[rng.below(cases.len() as u64) as usize];
            Val::Variant(case.name.to_string(), case.ty.as_ref().map(|t| Box::new(make(t, budget, rng))))
        }
        Type::Enum(names) => {
            let names: Vec<&str> = names.names().collect();
            Val::Enum(names[rng.below(names.len() as u64) as usize].to_string())
        }
        // Mostly `some` and `ok`, so that most calls carry their budget.
        Type::Option(option) => Val::Option((rng.below(8) != 0).then(|| Box::new(make(&option.ty(), budget, rng)))),
        Type::Result(result) => {
            let boxed = |t: Option<Type>, rng: &mut Rng| t.map(|t| Box::new(make(&t, budget, rng)));
            Val::Result(if rng.below(4) != 0 { Ok(boxed(result.ok(), rng)) } else { Err(boxed(result.err(), rng)) })
        }
        Type::Flags(flags) => Val::Flags(flags.names().filter(|_| rng.below(2) == 1).map(str::to_string).collect()),
        Type::Own(_) | Type::Borrow(_) | Type::Future(_) | Type::Stream(_) | Type::ErrorContext => {
            unreachable!("the stress makes values only of makeable types")
        }
    }
}

/// The bytes one element of a list of `ty` takes when it holds no string or list: such a list takes as many as
/// fit in its budget; `None` for an element that can grow itself.
fn flat_size(ty: &Type) -> Option<usize> {
    match ty {
        Type::Bool | Type::S8 | Type::U8 | Type::Enum(_) => Some(1),
        Type::S16 | Type::U16 => Some(2),
        Type::S32 | Type::U32 | Type::Float32 | Type::Char | Type::Flags(_) => Some(4),
        Type::S64 | Type::U64 | Type::Float64 => Some(8),
        ty if !carries_data(ty) => Some(16),
        _ => None,
    }
}

/// How a list whose elements grow splits `budget`: about √(budget/8) elements (at most 256), each taking its
/// share, so nested lists are both long and deep (64 KiB: 90 elements of 728 bytes; 1 MiB: 256 of 4 KiB).
fn split(budget: usize) -> (usize, usize) {
    let count = ((budget / 8) as f64).sqrt() as usize;
    let count = count.clamp(1, 256);
    (count, budget / count)
}

/// Text of about `budget` bytes: words of Latin letters with some accented and CJK ones, spaces, punctuation and
/// line breaks, so a component that reads text finds words, lines and sentences in it.
fn text(budget: usize, rng: &mut Rng) -> String {
    let mut out = String::with_capacity(budget + 8);
    while out.len() < budget {
        let word = 1 + rng.below(9);
        for _ in 0..word {
            out.push(text_char(rng));
        }
        out.push(match rng.below(16) {
            0 => '\n',
            1 => ',',
            2 => '.',
            _ => ' ',
        });
    }
    while out.len() > budget {
        out.pop();
    }
    out
}

/// A letter: mostly ASCII, one in 32 accented, one in 64 CJK.
fn text_char(rng: &mut Rng) -> char {
    const ACCENTED: [char; 6] = ['é', 'ü', 'ñ', 'ø', 'ß', 'ç'];
    const CJK: [char; 4] = ['日', '本', '語', '字'];
    match rng.below(64) {
        0 => CJK[rng.below(4) as usize],
        1 | 2 => ACCENTED[rng.below(6) as usize],
        n if n < 10 => (b'A' + rng.below(26) as u8) as char,
        _ => (b'a' + rng.below(26) as u8) as char,
    }
}

/// A digest of `values`, to tell whether two answers are the same without keeping the first (a list of a million
/// records is large); two different answers have the same digest with negligible probability.
pub fn digest(values: &[Val]) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for value in values {
        feed(value, &mut hasher);
    }
    hasher.finish()
}

fn feed(value: &Val, h: &mut impl Hasher) {
    std::mem::discriminant(value).hash(h);
    match value {
        Val::Bool(v) => v.hash(h),
        Val::S8(v) => v.hash(h),
        Val::U8(v) => v.hash(h),
        Val::S16(v) => v.hash(h),
        Val::U16(v) => v.hash(h),
        Val::S32(v) => v.hash(h),
        Val::U32(v) => v.hash(h),
        Val::S64(v) => v.hash(h),
        Val::U64(v) => v.hash(h),
        Val::Float32(v) => v.to_bits().hash(h),
        Val::Float64(v) => v.to_bits().hash(h),
        Val::Char(v) => v.hash(h),
        Val::String(v) | Val::Enum(v) => v.hash(h),
        Val::List(vs) | Val::Tuple(vs) | Val::FixedLengthList(vs) => {
            vs.len().hash(h);
            vs.iter().for_each(|v| feed(v, h));
        }
        Val::Map(pairs) => {
            pairs.len().hash(h);
            for (k, v) in pairs {
                feed(k, h);
                feed(v, h);
            }
        }
        Val::Record(fields) => {
            for (name, v) in fields {
                name.hash(h);
                feed(v, h);
            }
        }
        Val::Variant(name, v) => {
            name.hash(h);
            v.iter().for_each(|v| feed(v, h));
        }
        Val::Option(v) => v.iter().for_each(|v| feed(v, h)),
        Val::Result(r) => {
            r.is_ok().hash(h);
            let (Ok(v) | Err(v)) = r;
            v.iter().for_each(|v| feed(v, h));
        }
        Val::Flags(names) => names.hash(h),
        // A handle is a new one on every call: never part of what is compared (functions handing them out are
        // stateful, see `generic`).
        Val::Resource(_) | Val::Future(_) | Val::Stream(_) | Val::ErrorContext(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_fills_its_budget_with_words_and_lines_and_is_the_same_for_a_seed() {
        let a = text(65536, &mut Rng::new(7));
        assert_eq!(a.len(), 65536);
        assert!(a.contains(' ') && a.contains('\n') && !a.is_ascii(), "text-like");
        assert_eq!(a, text(65536, &mut Rng::new(7)));
        assert_ne!(a, text(65536, &mut Rng::new(8)));
        assert_eq!(split(65536), (90, 728));
        assert_eq!(split(1 << 20), (256, 4096));
    }

    #[test]
    fn digests_tell_answers_apart() {
        let a = vec![Val::List(vec![Val::String("ab".into()), Val::String("c".into())])];
        let b = vec![Val::List(vec![Val::String("a".into()), Val::String("bc".into())])];
        assert_eq!(digest(&a), digest(&a.clone()));
        assert_ne!(digest(&a), digest(&b));
        assert_ne!(digest(&[Val::Option(None)]), digest(&[Val::Result(Ok(None))]));
    }
}
