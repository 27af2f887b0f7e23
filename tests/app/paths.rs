//! Turning a declared route into a real address.

use std::collections::HashMap;

/// Replace every `{placeholder}` with the record id of that name; panics on one it does not know.
pub fn fill(pattern: &str, ids: &HashMap<&'static str, String>) -> String {
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').expect("closing brace") + start;
        out.push_str(&rest[..start]);
        let name = &rest[start + 1..end];
        out.push_str(ids.get(name).unwrap_or_else(|| panic!("no record id for {{{name}}} in {pattern}")));
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}
