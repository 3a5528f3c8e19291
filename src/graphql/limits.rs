//! Query limits: what one GraphQL request may ask of the server. Everything is checked here,
//! around the schema ([`execute`]), before any resolver runs (the execution deadline excepted),
//! and every refusal is `QUERY_TOO_COMPLEX` naming the limit and its value.
//!
//! - before parsing: characters and lexical tokens of the document (and bracket nesting, which
//!   the recursive parser must not see unbounded);
//! - after parsing: depth, aliases, root fields and directives of each operation, fragments
//!   counted wherever they are spread; introspection when the request has it disabled;
//! - during validation: complexity (`limit_complexity` on the schema, connections costing their
//!   page size times what is under them, see [`super::pagination::connection_cost`]);
//! - during execution: the deadline ([`Deadline`]); a mutation cut off by it is `UNAVAILABLE`
//!   instead, since a write runs long when it waits for the database, not when it asks much.

use std::{
    collections::{HashMap, HashSet},
    time::Duration,
};

use async_graphql::{
    IntrospectionMode, Request, Response, ServerError,
    parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet},
};

use tokio::time::Instant;

use super::AppSchema;
use crate::{
    config::LimitSettings,
    error::{AppError, DbTrouble, Trouble},
};

/// Deepest bracket nesting a document may have before it is parsed; the parser itself refuses
/// selection sets nested deeper than 64.
const MAX_NESTING: usize = 64;

/// Introspection fields that return lists of types' members: nesting them multiplies the
/// response by the size of the schema at each level (graphql-js refuses three levels, as here).
const INTROSPECTION_LISTS: [&str; 4] = ["fields", "inputFields", "interfaces", "possibleTypes"];
const MAX_INTROSPECTION_LISTS: usize = 2;

/// When the request's operation is cut off: set as the request arrives, from
/// `KAIM_QUERY_TIMEOUT`, and read by work that must finish within it (registry calls get the
/// time that is left, so that what did answer can still be written).
#[derive(Debug, Clone, Copy)]
pub struct Deadline(Instant);

impl Deadline {
    /// The time left until the deadline, zero once it has passed.
    #[must_use]
    pub fn remaining(self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }
}

/// Runs `request` on `schema` within `limits`: the size of the document before it is parsed,
/// its shape once parsed (here, once: the schema reuses the parsed document), complexity in
/// validation and the deadline around execution.
///
/// Every check is made once per request, around the schema rather than inside it: an
/// async-graphql extension, even one with only request-level hooks, makes the executor wrap
/// every field and list item in the extension chain.
pub async fn execute(schema: &AppSchema, mut request: Request, limits: &LimitSettings) -> Response {
    if let Err(err) = check_size(&request.query, limits) {
        return Response::from_errors(vec![server_error(&err)]);
    }
    let introspection_disabled = request.introspection_mode == IntrospectionMode::Disabled;
    let operation = request.operation_name.clone();
    let mutation = match request.parsed_query() {
        Ok(document) => {
            if let Err(err) = check_document(document, limits, introspection_disabled) {
                return Response::from_errors(vec![server_error(&err)]);
            }
            is_mutation(document, operation.as_deref())
        }
        Err(err) => return Response::from_errors(vec![err]),
    };
    let at = Instant::now() + limits.query_timeout;
    let run = schema.execute(request.data(Deadline(at)));
    match tokio::time::timeout_at(at, run).await {
        Ok(mut response) => {
            for error in &mut response.errors {
                name_builtin_limit(error, limits);
            }
            response
        }
        Err(_) => {
            let deadline = limits.query_timeout;
            tracing::warn!(?deadline, "a GraphQL operation ran out of time");
            let limit = humantime::format_duration(deadline);
            // Reads do not wait on locks; a write that runs out of time was most likely waiting
            // for the database, and is worth sending again rather than cutting down.
            let error = if mutation {
                AppError::Unavailable(DbTrouble {
                    kind: Trouble::Contention,
                    cause: format!("a mutation ran longer than {limit}").into(),
                })
            } else {
                AppError::QueryTooComplex(format!(
                    "the query ran longer than {limit}, the most allowed; ask for less (smaller pages, fewer nested lists)"
                ))
            };
            Response::from_errors(vec![server_error(&error)])
        }
    }
}

/// Whether the operation executed under `name` is a mutation (or a subscription: anything but
/// a read).
pub fn is_mutation(document: &ExecutableDocument, name: Option<&str>) -> bool {
    document.operations.iter().any(|(op, definition)| {
        let selected = match (name, op) {
            (Some(wanted), Some(op)) => wanted == op.as_str(),
            (None, _) => true,
            (Some(_), None) => false,
        };
        selected && definition.node.ty != OperationType::Query
    })
}

/// async-graphql's own limits (complexity, checked in validation; recursion depth, checked
/// after parsing) are limits like ours, and answer as ours do.
fn name_builtin_limit(error: &mut ServerError, limits: &LimitSettings) {
    let mapped = if error.message == "Query is too complex." {
        AppError::QueryTooComplex(format!(
            "the query's complexity is over {}, the most allowed (each field costs 1; a connection costs its page size times what is selected under it)",
            limits.max_complexity
        ))
    } else if error
        .message
        .starts_with("The recursion depth of the query")
    {
        AppError::QueryTooComplex(format!("the query nests too deeply: {}", error.message))
    } else {
        return;
    };
    let locations = std::mem::take(&mut error.locations);
    *error = server_error(&mapped);
    error.locations = locations;
}

/// The error the caller sees, with its `extensions.code`.
fn server_error(err: &AppError) -> ServerError {
    let error = err.to_graphql();
    let mut server = ServerError::new(error.message, None);
    server.extensions = error.extensions;
    server
}

fn too_many(count: usize, what: &str, max: usize) -> AppError {
    AppError::QueryTooComplex(format!(
        "the query has {count} {what}; at most {max} are allowed"
    ))
}

/// Characters, tokens and bracket nesting of the raw document, before the parser sees it.
///
/// # Errors
/// `QUERY_TOO_COMPLEX` naming the first limit exceeded.
pub fn check_size(query: &str, limits: &LimitSettings) -> Result<(), AppError> {
    // Bytes bound characters from above: count characters only when it can matter.
    if query.len() > limits.max_query_chars {
        let chars = query.chars().count();
        if chars > limits.max_query_chars {
            return Err(too_many(chars, "characters", limits.max_query_chars));
        }
    }
    let lexed = scan(query);
    if lexed.tokens > limits.max_tokens {
        return Err(too_many(lexed.tokens, "tokens", limits.max_tokens));
    }
    if lexed.nesting > MAX_NESTING {
        return Err(AppError::QueryTooComplex(format!(
            "the query nests brackets {} deep; at most {MAX_NESTING} are allowed",
            lexed.nesting
        )));
    }
    Ok(())
}

/// What [`scan`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Lexed {
    /// GraphQL lexical tokens: punctuators, names, numbers and strings.
    pub tokens: usize,
    /// Deepest nesting of `{`, `[` and `(`.
    pub nesting: usize,
}

/// Counts the lexical tokens of a GraphQL document as the specification defines them:
/// punctuators (`...` is one), names, numbers and strings (block strings included) are tokens;
/// white space, line terminators, commas and comments are not. Anything the lexer would reject
/// counts as one token, and the parser refuses it afterwards.
#[must_use]
pub fn scan(document: &str) -> Lexed {
    let bytes = document.as_bytes();
    let mut lexed = Lexed::default();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        match byte {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                i += 1;
                continue;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
                continue;
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                lexed.nesting = lexed.nesting.max(depth);
                i += 1;
            }
            b'}' | b']' | b')' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'.' => {
                i += bytes[i..]
                    .iter()
                    .take(3)
                    .take_while(|&&b| b == b'.')
                    .count();
            }
            b'"' => i = skip_string(bytes, i),
            b'-' | b'0'..=b'9' => {
                i += 1;
                while i < bytes.len() && is_number_part(bytes[i], bytes[i - 1]) {
                    i += 1;
                }
            }
            b'_' | b'a'..=b'z' | b'A'..=b'Z' => {
                i += 1;
                while i < bytes.len() && (bytes[i] == b'_' || bytes[i].is_ascii_alphanumeric()) {
                    i += 1;
                }
            }
            _ => {
                // The byte order mark is white space; any other character is one (invalid)
                // token, skipped whole so that multi-byte characters count once.
                let ch = document[i..].chars().next().unwrap_or_default();
                i += ch.len_utf8().max(1);
                if ch == '\u{feff}' {
                    continue;
                }
            }
        }
        lexed.tokens += 1;
    }
    lexed
}

/// Digits, a fraction, an exponent with its sign: the rest of a number token.
const fn is_number_part(byte: u8, previous: u8) -> bool {
    matches!(byte, b'0'..=b'9' | b'.' | b'e' | b'E')
        || (matches!(byte, b'+' | b'-') && matches!(previous, b'e' | b'E'))
}

/// The index just past the string starting at `start` (a `"..."` string, which ends at a line
/// terminator when unterminated, or a `"""..."""` block string, where `\"""` is an escape).
fn skip_string(bytes: &[u8], start: usize) -> usize {
    if bytes[start..].starts_with(b"\"\"\"") {
        let mut i = start + 3;
        while i < bytes.len() {
            if bytes[i..].starts_with(b"\\\"\"\"") {
                i += 4;
            } else if bytes[i..].starts_with(b"\"\"\"") {
                return i + 3;
            } else {
                i += 1;
            }
        }
        return i;
    }
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            b'\n' | b'\r' => return i,
            _ => i += 1,
        }
    }
    i.min(bytes.len())
}

/// The shape of a selection set, fragments expanded where they are spread.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shape {
    /// Fields at the top of the selection set (inline fragments and spreads flattened).
    pub fields: usize,
    pub aliases: usize,
    pub directives: usize,
    /// Deepest field nesting, introspection excepted.
    pub depth: usize,
    /// Deepest nesting of [`INTROSPECTION_LISTS`] fields.
    lists: usize,
    /// Whether `__schema` or `__type` is selected.
    pub introspection: bool,
    /// Deepest nesting of list fields under an introspection field.
    pub introspection_lists: usize,
}

impl Shape {
    /// Adds the shape of a fragment spread or inline fragment at the same level.
    fn merge(&mut self, other: Self) {
        self.fields = self.fields.saturating_add(other.fields);
        self.aliases = self.aliases.saturating_add(other.aliases);
        self.directives = self.directives.saturating_add(other.directives);
        self.depth = self.depth.max(other.depth);
        self.lists = self.lists.max(other.lists);
        self.introspection |= other.introspection;
        self.introspection_lists = self.introspection_lists.max(other.introspection_lists);
    }

    /// The larger of each count, for the worst operation of a document.
    fn max(self, other: Self) -> Self {
        Self {
            fields: self.fields.max(other.fields),
            aliases: self.aliases.max(other.aliases),
            directives: self.directives.max(other.directives),
            depth: self.depth.max(other.depth),
            lists: self.lists.max(other.lists),
            introspection: self.introspection || other.introspection,
            introspection_lists: self.introspection_lists.max(other.introspection_lists),
        }
    }
}

/// Walks a document once, each fragment's shape computed once however often it is spread.
struct Walker<'a> {
    document: &'a ExecutableDocument,
    fragments: HashMap<&'a str, Shape>,
    visiting: HashSet<&'a str>,
}

impl<'a> Walker<'a> {
    fn selection_set(&mut self, set: &'a SelectionSet) -> Shape {
        let mut shape = Shape::default();
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let inner = self.selection_set(&field.selection_set.node);
                    let name = field.name.node.as_str();
                    shape.fields = shape.fields.saturating_add(1);
                    shape.aliases = shape
                        .aliases
                        .saturating_add(usize::from(field.alias.is_some()))
                        .saturating_add(inner.aliases);
                    shape.directives = shape
                        .directives
                        .saturating_add(field.directives.len())
                        .saturating_add(inner.directives);
                    let list = usize::from(INTROSPECTION_LISTS.contains(&name));
                    shape.lists = shape.lists.max(inner.lists.saturating_add(list));
                    if matches!(name, "__schema" | "__type") {
                        // The schema is finite: its depth is bounded by the list rule instead,
                        // so that the standard introspection query (13 deep) always works.
                        shape.introspection = true;
                        shape.introspection_lists = shape.introspection_lists.max(inner.lists);
                    } else {
                        shape.depth = shape.depth.max(inner.depth.saturating_add(1));
                        shape.introspection |= inner.introspection;
                        shape.introspection_lists =
                            shape.introspection_lists.max(inner.introspection_lists);
                    }
                }
                Selection::InlineFragment(fragment) => {
                    let mut inner = self.selection_set(&fragment.node.selection_set.node);
                    inner.directives = inner
                        .directives
                        .saturating_add(fragment.node.directives.len());
                    shape.merge(inner);
                }
                Selection::FragmentSpread(spread) => {
                    let mut inner = self.fragment(spread.node.fragment_name.node.as_str());
                    inner.directives = inner
                        .directives
                        .saturating_add(spread.node.directives.len());
                    shape.merge(inner);
                }
            }
        }
        shape
    }

    fn fragment(&mut self, name: &'a str) -> Shape {
        if let Some(shape) = self.fragments.get(name) {
            return *shape;
        }
        let Some(definition) = self.document.fragments.get(name) else {
            return Shape::default();
        };
        // A cycle is refused by validation; here it only must not recurse forever.
        if !self.visiting.insert(name) {
            return Shape::default();
        }
        let mut shape = self.selection_set(&definition.node.selection_set.node);
        shape.directives = shape
            .directives
            .saturating_add(definition.node.directives.len());
        self.visiting.remove(name);
        self.fragments.insert(name, shape);
        shape
    }
}

/// The worst shape over the operations of `document`.
#[must_use]
pub fn shape(document: &ExecutableDocument) -> Shape {
    let mut walker = Walker {
        document,
        fragments: HashMap::new(),
        visiting: HashSet::new(),
    };
    document
        .operations
        .iter()
        .map(|(_, operation)| {
            let mut shape = walker.selection_set(&operation.node.selection_set.node);
            shape.directives = shape
                .directives
                .saturating_add(operation.node.directives.len());
            shape
        })
        .fold(Shape::default(), Shape::max)
}

/// Depth, root fields, aliases and directives of a parsed document, and introspection when the
/// request may not use it.
///
/// # Errors
/// `QUERY_TOO_COMPLEX` naming the first limit exceeded; `FORBIDDEN` for refused introspection.
pub fn check_document(
    document: &ExecutableDocument,
    limits: &LimitSettings,
    introspection_disabled: bool,
) -> Result<(), AppError> {
    let shape = shape(document);
    if shape.introspection && introspection_disabled {
        return Err(AppError::Forbidden(
            "introspection is disabled on this server; an ADMIN token may use it".into(),
        ));
    }
    if shape.depth > limits.max_depth {
        return Err(AppError::QueryTooComplex(format!(
            "the query is {} levels deep; at most {} are allowed",
            shape.depth, limits.max_depth
        )));
    }
    if shape.fields > limits.max_root_fields {
        return Err(too_many(
            shape.fields,
            "root fields",
            limits.max_root_fields,
        ));
    }
    if shape.aliases > limits.max_aliases {
        return Err(too_many(shape.aliases, "aliases", limits.max_aliases));
    }
    if shape.directives > limits.max_directives {
        return Err(too_many(
            shape.directives,
            "directives",
            limits.max_directives,
        ));
    }
    if shape.introspection_lists > MAX_INTROSPECTION_LISTS {
        return Err(AppError::QueryTooComplex(format!(
            "the introspection query nests `fields`, `inputFields`, `interfaces` or `possibleTypes` {} deep; at most {MAX_INTROSPECTION_LISTS} are allowed",
            shape.introspection_lists
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    fn tokens(document: &str) -> usize {
        scan(document).tokens
    }

    fn shape_of(document: &str) -> Shape {
        shape(&parse_query(document).unwrap_or_else(|e| panic!("{document}: {e}")))
    }

    #[test]
    fn punctuators_names_numbers_and_strings_are_tokens() {
        assert_eq!(tokens("{ me { name } }"), 6);
        assert_eq!(tokens("query($a: Int!) { a(x: $a) }"), 17);
        assert_eq!(tokens("{ ...F } fragment F on Query { me }"), 11);
        assert_eq!(tokens("{ a(x: -1.5e+10, y: 0, z: 12) }"), 14);
        assert_eq!(tokens(r#"{ a(x: "a \" b, c", y: """x "" \""" y""") }"#), 11);
        assert_eq!(tokens("{ a(x: [1 2 3], y: {b: true}) }"), 19);
        assert_eq!(tokens("@skip(if: $v)"), 8);
        // Names are ASCII: each character the lexer rejects counts on its own.
        assert_eq!(tokens("Газпром"), 7);
    }

    #[test]
    fn comments_commas_and_white_space_are_not_tokens() {
        assert_eq!(tokens(""), 0);
        assert_eq!(tokens(" ,,, \t\r\n\u{feff}"), 0);
        assert_eq!(tokens("# { a b c }\n{ a } # d e f"), 3);
        assert_eq!(tokens("{ a, b, c }"), 5);
        assert_eq!(tokens(r##"{ a(x: "# not a comment") }"##), 8);
    }

    #[test]
    fn unterminated_strings_end_at_the_line_or_the_document() {
        assert_eq!(tokens("\"abc\n{ a }"), 4);
        assert_eq!(tokens("\"\"\"abc\n{ a }"), 1);
        assert_eq!(tokens("\"abc\\"), 1);
    }

    #[test]
    fn nesting_counts_brackets_of_all_kinds() {
        assert_eq!(scan("{ a { b(x: [[1]]) } }").nesting, 5);
        assert_eq!(scan("}}}{").nesting, 1);
    }

    #[test]
    fn fragments_count_wherever_they_are_spread() {
        let shape = shape_of(
            "query @a { x: me { ...F } y: me { ...F } ... on Query @b { z: me { name } } }
             fragment F on User @c { a: name b: role @d }",
        );
        assert_eq!(shape.fields, 3);
        assert_eq!(shape.aliases, 3 + 2 * 2);
        assert_eq!(shape.directives, 2 + 2 * 2);
        assert_eq!(shape.depth, 2);
    }

    #[test]
    fn the_worst_operation_of_a_document_counts() {
        let shape = shape_of("query A { a b c } query B { a { b { c } } }");
        assert_eq!((shape.fields, shape.depth), (3, 3));
    }

    #[test]
    fn exponential_fragments_saturate_instead_of_overflowing_or_hanging() {
        let mut document = String::from("{ ...F0 }\n");
        for i in 0..80 {
            let next = i + 1;
            document.push_str(&format!(
                "fragment F{i} on Query {{ ...F{next} ...F{next} }}\n"
            ));
        }
        document.push_str("fragment F80 on Query { x: me { name } }");
        let shape = shape_of(&document);
        assert_eq!(shape.aliases, usize::MAX);
    }

    #[test]
    fn fragment_cycles_do_not_recurse_forever() {
        let shape =
            shape_of("{ ...A } fragment A on Query { a ...B } fragment B on Query { ...A }");
        assert_eq!(shape.fields, 1);
    }

    #[test]
    fn the_standard_introspection_query_is_not_limited_by_depth_but_nested_lists_are() {
        let standard = "{ __schema { types { fields { args { type { ofType { ofType { ofType {
            ofType { ofType { ofType { ofType { name } } } } } } } } } } } } }";
        let shape = shape_of(standard);
        assert!(shape.introspection);
        assert_eq!(shape.depth, 0);
        assert_eq!(shape.introspection_lists, 1);
        let attack = shape_of(
            "{ __type(name: \"Client\") { fields { type { fields { type { fields { name } } } } } } }",
        );
        assert_eq!(attack.introspection_lists, 3);
        assert!(
            check_document(
                &parse_query("{ __schema { types { name } } }").unwrap_or_else(|e| panic!("{e}")),
                &LimitSettings::DEFAULT,
                true
            )
            .is_err()
        );
    }
}
