//! Test support (feature `test-support`): what HTTP tests of this crate, of the server
//! and of hosts repeat — a JSON client of a running server, accounts made through the
//! desk, logins, and the one-time tokens the desk e-mailed (read from the outbox, so no
//! mail server is needed). Not for production code.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use ticket_core::account::{Role, User};
use ticket_core::notify::{Channel, NotificationKind};
use ticket_core::ports::Outbox;
use ticket_core::{Actor, HelpDesk, TenantId};

/// The password of every account made by [`make_user`], and the registration of a test
/// account (`name@example.com`, username `name`, that password): the core's test kit's.
pub use ticket_core::testkit::{account, PASSWORD};

/// One answer: status, headers, the body as text and parsed (`Null` when not JSON).
#[derive(Debug)]
pub struct Response {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body parsed as JSON, or `Null`.
    pub body: Value,
    /// The body as sent.
    pub text: String,
}

impl Response {
    /// The problem's `code` (empty when there is none).
    #[must_use]
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or_default()
    }

    /// The content type, if any.
    #[must_use]
    pub fn content_type(&self) -> Option<&str> {
        self.headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
    }
}

/// A JSON client of a server at `base` (`http://127.0.0.1:port`).
#[derive(Debug, Clone)]
pub struct ApiClient {
    /// The server's root URL.
    pub base: String,
    /// The HTTP client.
    pub http: reqwest::Client,
}

impl ApiClient {
    /// A client of the server at `base`.
    #[must_use]
    pub fn new(base: impl Into<String>) -> Self {
        Self {
            base: base.into(),
            http: reqwest::Client::new(),
        }
    }

    /// The URL of `path` on the server.
    #[must_use]
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends `method path` with an optional bearer token and JSON body.
    ///
    /// # Panics
    /// When the request cannot be sent or its body read (a test failure).
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let mut r = self.http.request(method, self.url(path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = body {
            r = r.json(b);
        }
        let res = r.send().await.unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap_or_else(|e| panic!("{path}: {e}"));
        Response {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
        }
    }

    /// Logs in and returns the session document (`access_token`, `refresh_token`…).
    ///
    /// # Panics
    /// When the login is refused.
    pub async fn login(&self, login: &str, password: &str) -> Value {
        let body = json!({"login": login, "password": password});
        let r = self
            .send(Method::POST, "/api/v1/auth/login", None, Some(&body))
            .await;
        assert_eq!(r.status, StatusCode::OK, "login {login}: {}", r.text);
        r.body
    }

    /// Logs in and returns the access token.
    ///
    /// # Panics
    /// When the login is refused.
    pub async fn token(&self, login: &str, password: &str) -> String {
        self.login(login, password).await["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

/// Makes the account [`account`]`(name)` with `role` through the desk, as the system, in
/// the default tenant.
///
/// # Panics
/// When the desk refuses it.
pub async fn make_user(desk: &HelpDesk, name: &str, role: Role) -> User {
    desk.create_user(&Actor::system(TenantId::DEFAULT), account(name), role)
        .await
        .unwrap_or_else(|e| panic!("make_user {name}: {e}"))
}

/// The newest one-time token e-mailed to `email` in the default tenant: the last line of
/// the newest verification or password-reset e-mail to it in the outbox (other mails,
/// such as the welcome, carry no token).
///
/// # Panics
/// When there is none.
pub async fn mailed_token<O: Outbox + ?Sized>(outbox: &O, email: &str) -> String {
    let page = outbox
        .list_deliveries(TenantId::DEFAULT, None, 100, None)
        .await
        .unwrap_or_else(|e| panic!("list_deliveries: {e}"));
    page.items
        .iter()
        .find_map(|e| match &e.channel {
            Channel::Email { to, body, .. }
                if to.as_str() == email
                    && matches!(
                        e.kind,
                        NotificationKind::VerifyEmail | NotificationKind::PasswordReset
                    ) =>
            {
                body.lines()
                    .rfind(|l| !l.trim().is_empty())
                    // The link `{public_url}/…?token=<token>`, or the bare token.
                    .and_then(|l| l.trim().rsplit("token=").next())
                    .map(str::to_string)
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no e-mail with a token to {email}"))
}
