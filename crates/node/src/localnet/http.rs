//! A few HTTP calls to the local nodes' APIs.

use std::time::Duration;

use anyhow::Context;

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(3)))
        .http_status_as_error(false)
        .build()
        .into()
}

/// POSTs `body` to `url + path` and parses the JSON answer.
pub fn post_json(url: &str, path: &str, body: &str) -> anyhow::Result<serde_json::Value> {
    let mut r = agent().post(format!("{url}{path}")).send(body)?;
    let text = r.body_mut().read_to_string()?;
    serde_json::from_str(&text).with_context(|| format!("{url}{path} did not answer JSON"))
}

/// GETs `url + path` as text.
pub fn get_text(url: &str, path: &str) -> anyhow::Result<String> {
    let mut r = agent().get(format!("{url}{path}")).call()?;
    Ok(r.body_mut().read_to_string()?)
}

/// The value of a Prometheus metric without labels.
pub fn metric(text: &str, name: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let rest = l.strip_prefix(name)?.strip_prefix(' ')?;
        rest.trim().parse::<f64>().ok().map(|v| v as u64)
    })
}
