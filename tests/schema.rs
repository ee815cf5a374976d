//! `rewrap schema`: every shipped scenario conforms to it, a misspelt field or action does
//! not, and its field lists are the ones the loader accepts (read off `src/scenario/raw.rs`).

use serde_json::Value;

use rewrap::scenario::schema::json_schema;

/// The JSON Schema keywords the schema uses, checked: type, properties, additionalProperties,
/// required, enum, items, anyOf, minimum. Returns the first violation's path.
fn validate(schema: &Value, v: &Value, path: &str) -> Result<(), String> {
    if let Some(any) = schema.get("anyOf").and_then(Value::as_array) {
        return any
            .iter()
            .find_map(|s| validate(s, v, path).ok())
            .ok_or_else(|| format!("{path}: matches none of anyOf"));
    }
    if let Some(t) = schema.get("type").and_then(Value::as_str) {
        let ok = match t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "integer" => v.is_i64() || v.is_u64(),
            "boolean" => v.is_boolean(),
            other => return Err(format!("{path}: unknown type {other} in the schema")),
        };
        if !ok {
            return Err(format!("{path}: not {t}: {v}"));
        }
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array)
        && !values.contains(v)
    {
        return Err(format!("{path}: {v} is not one of {values:?}"));
    }
    if let (Some(min), Some(n)) = (schema.get("minimum").and_then(Value::as_i64), v.as_i64())
        && n < min
    {
        return Err(format!("{path}: {n} < {min}"));
    }
    if let Some(obj) = v.as_object() {
        let props = schema.get("properties").and_then(Value::as_object);
        for req in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let req = req.as_str().unwrap();
            if !obj.contains_key(req) {
                return Err(format!("{path}: missing {req}"));
            }
        }
        for (k, x) in obj {
            let sub = format!("{path}.{k}");
            match (
                props.and_then(|p| p.get(k)),
                schema.get("additionalProperties"),
            ) {
                (Some(s), _) => validate(s, x, &sub)?,
                (None, Some(Value::Bool(false))) => return Err(format!("{sub}: not allowed")),
                (None, Some(s)) if s.is_object() => validate(s, x, &sub)?,
                (None, _) => {}
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), v.as_array()) {
        for (i, x) in arr.iter().enumerate() {
            validate(items, x, &format!("{path}[{i}]"))?;
        }
    }
    Ok(())
}

fn as_json(toml_text: &str) -> Value {
    let t: toml::Value = toml::from_str(toml_text).unwrap();
    serde_json::to_value(t).unwrap()
}

#[test]
fn every_shipped_scenario_conforms() {
    let schema = json_schema();
    for b in rewrap::scenario::BUILTINS {
        validate(&schema, &as_json(b.text), b.name).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn a_misspelt_field_or_action_does_not() {
    let schema = json_schema();
    let good = "title = \"t\"\n[[key]]\nid = \"kms-1\"\n[table]\nkey = \"kms-1\"\n[[step]]\nat = \"1m\"\ndo = \"disable-key\"\nkey = \"kms-1\"\n";
    validate(&schema, &as_json(good), "good").unwrap();
    for (bad, why) in [
        (
            good.replace("do = \"disable-key\"", "do = \"disable\""),
            "is not one of",
        ),
        (
            good.replace("key = \"kms-1\"\n[[step]]", "kee = \"kms-1\"\n[[step]]"),
            "none of anyOf",
        ),
        (good.replace("do = ", "dew = \"x\"\ndo = "), "not allowed"),
        (good.replace("title = \"t\"\n", ""), "missing title"),
        (good.replace("at = \"1m\"", "at = 60"), "not string"),
    ] {
        let e = validate(&schema, &as_json(&bad), "bad").expect_err(why);
        assert!(e.contains(why), "{e}");
    }
}

/// The schema's fields are exactly the fields each raw struct of the loader takes.
#[test]
fn the_schema_lists_the_fields_the_loader_accepts() {
    let raw = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/scenario/raw.rs"))
        .unwrap();
    let fields = |name: &str| -> Vec<String> {
        let start = raw.find(&format!("struct {name} {{")).unwrap();
        let body = &raw[start..start + raw[start..].find("\n}").unwrap()];
        let mut out: Vec<String> = body
            .lines()
            .filter_map(|l| l.trim().strip_prefix("pub(super) "))
            .filter_map(|l| l.split(':').next())
            .map(|f| {
                if f == "action" {
                    "do".to_string()
                } else {
                    f.to_string()
                }
            })
            .collect();
        out.sort();
        out
    };
    let s = json_schema();
    let step = &s["properties"]["step"]["items"];
    let table = &s["properties"]["table"]["anyOf"][0];
    for (name, node) in [
        ("RawScenario", &s),
        ("RawAssumptions", &s["properties"]["assumptions"]),
        ("RawKey", &s["properties"]["key"]["items"]),
        ("RawTable", table),
        ("RawReplica", &table["properties"]["replica"]["items"]),
        ("RawPrincipal", &s["properties"]["principal"]["items"]),
        ("RawBackup", &s["properties"]["backup"]["items"]),
        ("RawStep", step),
        ("RawAsk", &step["properties"]["ask"]),
        (
            "RawChoice",
            &step["properties"]["ask"]["properties"]["choices"]["items"],
        ),
        ("RawExpect", &step["properties"]["expect"]),
        ("RawLab", &s["properties"]["lab"]),
        (
            "RawWrong",
            &s["properties"]["lab"]["properties"]["wrong"]["items"],
        ),
    ] {
        // `key_state` is an alias of `keys` (serde's `alias`), not a field of its own.
        let mut props: Vec<String> = node["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{name}"))
            .keys()
            .filter(|k| *k != "key_state")
            .cloned()
            .collect();
        props.sort();
        assert_eq!(props, fields(name), "{name}");
    }
}
