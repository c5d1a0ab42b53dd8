//! JavaScript's value rules, as Nightscout's code applies them to stored JSON: `Number(v)`,
//! truthiness, `Math.round`, and numbers printed the way JavaScript prints them.

use serde_json::{Number, Value};

/// JavaScript `Number(v)`; `None` stands for NaN (and for infinities, which JSON cannot hold).
pub fn js_number(v: &Value) -> Option<f64> {
    let x = match v {
        Value::Null => 0.0,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty() {
                0.0
            } else if t.bytes().all(|b| b"0123456789+-.eE".contains(&b)) {
                t.parse::<f64>().ok()?
            } else {
                return None;
            }
        }
        Value::Array(_) | Value::Object(_) => return None,
    };
    x.is_finite().then_some(x)
}

/// A number as JSON, whole values as integers (as JavaScript prints them).
pub fn json_number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        Value::Number(Number::from(x as i64))
    } else {
        Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

/// Whole doubles anywhere in `v` become integers: JSON parsed by JavaScript has one number type,
/// so a client that sent `4.0` stores (and reads back) `4`, as from Nightscout.
pub fn whole_numbers_as_integers(v: &mut Value) {
    match v {
        Value::Number(n) if n.is_f64() => {
            if let Some(x) = n.as_f64()
                && x.fract() == 0.0
                && x.abs() < 9.0e15
            {
                *n = Number::from(x as i64);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(o) => o.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

/// JavaScript truthiness of a JSON value.
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|x| x != 0.0),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

/// JavaScript `Math.round` (halves go up).
pub fn js_round(x: f64) -> f64 {
    (x + 0.5).floor()
}
