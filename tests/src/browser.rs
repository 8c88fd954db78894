//! The web back office as a browser without JavaScript uses it: a cookie jar, forms posted
//! URL-encoded, redirects not followed (tests look at them).

use std::collections::BTreeMap;

use anyhow::{Context, anyhow};
use reqwest::header::{COOKIE, HeaderMap, SET_COOKIE};

/// An answer of a page.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    /// Where a redirect points.
    pub fn location(&self) -> Option<&str> {
        self.headers.get("location").and_then(|v| v.to_str().ok())
    }

    /// The `Set-Cookie` header that sets `name`, whole.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(str::to_string)
    }

    /// The CSRF token of the page's first form.
    pub fn csrf(&self) -> anyhow::Result<String> {
        let (_, rest) = self
            .body
            .split_once(r#"name="csrf" value=""#)
            .ok_or_else(|| anyhow!("no CSRF field on the page"))?;
        Ok(rest.split('"').next().unwrap_or_default().to_string())
    }
}

/// A browser's cookie jar on one server.
#[derive(Debug)]
pub struct Browser {
    url: String,
    http: reqwest::Client,
    pub cookies: BTreeMap<String, String>,
}

/// Percent-encodes a form value.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Browser {
    pub fn new(url: &str) -> anyhow::Result<Browser> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Ok(Browser {
            url: url.to_string(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            cookies: BTreeMap::new(),
        })
    }

    fn keep(&mut self, headers: &HeaderMap) {
        for v in headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
        {
            let pair = v.split(';').next().unwrap_or_default();
            if let Some((k, value)) = pair.split_once('=') {
                let gone = v.contains("Max-Age=0");
                if gone || value.is_empty() {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_string(), value.to_string());
                }
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> anyhow::Result<Page> {
        let request = if self.cookies.is_empty() {
            request
        } else {
            request.header(COOKIE, self.cookie_header())
        };
        let response = request.send().await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        self.keep(&headers);
        let body = response.text().await?;
        Ok(Page {
            status,
            headers,
            body,
        })
    }

    pub async fn get(&mut self, path: &str) -> anyhow::Result<Page> {
        let request = self.http.get(format!("{}{path}", self.url));
        self.send(request).await
    }

    /// Posts a form with these fields (the CSRF token among them when the test wants it).
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> anyhow::Result<Page> {
        self.post_from(path, fields, None).await
    }

    /// [`Browser::post`] with an `Origin` header.
    pub async fn post_from(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        origin: Option<&str>,
    ) -> anyhow::Result<Page> {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut request = self
            .http
            .post(format!("{}{path}", self.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(o) = origin {
            request = request.header("origin", o);
        }
        self.send(request).await
    }

    /// Signs in through the sign-in page; the answer of the form's post.
    pub async fn sign_in(&mut self, username: &str, password: &str) -> anyhow::Result<Page> {
        let form = self.get("/login").await?;
        let csrf = form.csrf().context("the sign-in form")?;
        self.post(
            "/login",
            &[
                ("username", username),
                ("password", password),
                ("csrf", &csrf),
            ],
        )
        .await
    }

    /// The CSRF token of the signed-in page at `path`.
    pub async fn csrf(&mut self, path: &str) -> anyhow::Result<String> {
        let page = self.get(path).await?;
        anyhow::ensure!(page.status == 200, "{path}: {}", page.status);
        page.csrf()
    }
}
