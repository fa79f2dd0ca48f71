//! Prints the OpenAPI document (`cargo run -p ticket-http --example dump_openapi`).
fn main() {
    println!(
        "{}",
        serde_json::to_string_pretty(&ticket_http::openapi()).unwrap_or_default()
    );
}
