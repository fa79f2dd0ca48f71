//! [`LlmClassifier`]: any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM,
//! llama.cpp's server, Ollama's `/v1`…) asked for JSON-schema structured output whose
//! enums are the desk's own categories and the four priorities. The answer is validated
//! again on arrival (never an out-of-list label); on an HTTP error, a timeout, or output
//! that does not parse or validate, the local fallback classifier answers instead.
//! Optionally the endpoint is asked only when the local model is unsure.
//!
//! The endpoint is the operator's configuration (not user input), so it may be on a
//! private network; redirects are not followed and the key is never logged. Tested
//! against a loopback HTTP server speaking the protocol: no hosted model is reachable
//! from CI.

use crate::error::AiError;
use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use ticket_core::ports::{Classifier, RetrainReport, TrainingExample};
use ticket_core::text::{Category, Tag};
use ticket_core::ticket::{Classification, NewTicket, Priority, Scored};

/// Where and how to ask the model.
#[derive(Clone)]
pub struct LlmConfig {
    /// Base URL, up to and including `/v1` (`https://api.openai.com/v1`).
    pub base_url: String,
    /// Model name.
    pub model: String,
    /// Bearer key, if the endpoint needs one.
    pub api_key: Option<String>,
    /// Whole-request timeout.
    pub timeout: Duration,
    /// The desk's categories: the only category labels accepted.
    pub categories: Vec<Category>,
    /// Ask the endpoint only when the fallback's category confidence is under this (or
    /// it abstained); `None` asks for every ticket.
    pub only_below: Option<f32>,
}

impl std::fmt::Debug for LlmConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmConfig")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("timeout", &self.timeout)
            .field("categories", &self.categories)
            .field("only_below", &self.only_below)
            .finish()
    }
}

/// The LLM classifier with its local fallback.
pub struct LlmClassifier {
    config: LlmConfig,
    http: reqwest::Client,
    fallback: Arc<dyn Classifier>,
}

impl std::fmt::Debug for LlmClassifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmClassifier")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Answer {
    category: String,
    priority: String,
    #[serde(default)]
    confidence: Option<f32>,
    #[serde(default)]
    tags: Vec<String>,
}

impl LlmClassifier {
    /// A classifier asking `config`'s endpoint, answering with `fallback` when it cannot.
    ///
    /// # Errors
    /// [`AiError::Llm`] when the HTTP client cannot be built.
    pub fn new(config: LlmConfig, fallback: Arc<dyn Classifier>) -> Result<Self, AiError> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| AiError::Llm(format!("http client: {e}")))?;
        Ok(Self {
            config,
            http,
            fallback,
        })
    }

    /// The request body for `draft`.
    fn request(&self, draft: &NewTicket) -> Value {
        let categories: Vec<&str> = self
            .config
            .categories
            .iter()
            .map(Category::as_str)
            .collect();
        let priorities: Vec<&str> = Priority::ALL.iter().map(|p| p.as_str()).collect();
        json!({
            "model": self.config.model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": format!(
                    "You triage help-desk tickets. Choose the category among {categories:?} \
                     and the priority among {priorities:?} (critical: outage, breach, data \
                     loss, payments failing for many; high: one customer blocked, money \
                     wrongly taken, locked account; medium: degraded with a workaround; \
                     low: how-to, feature request, feedback). Answer with JSON only.")},
                {"role": "user", "content": format!("Title: {}\n\n{}", draft.title.as_str(), draft.description.as_str())},
            ],
            "response_format": {
                "type": "json_schema",
                "json_schema": {
                    "name": "ticket_triage",
                    "strict": true,
                    "schema": {
                        "type": "object",
                        "additionalProperties": false,
                        "required": ["category", "priority", "confidence", "tags"],
                        "properties": {
                            "category": {"type": "string", "enum": categories},
                            "priority": {"type": "string", "enum": priorities},
                            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 5},
                        },
                    },
                },
            },
        })
    }

    /// Asks the endpoint; any failure is an [`AiError::Llm`].
    async fn ask(&self, draft: &NewTicket) -> Result<Classification, AiError> {
        let url = format!(
            "{}/chat/completions",
            self.config.base_url.trim_end_matches('/')
        );
        let mut req = self.http.post(url).json(&self.request(draft));
        if let Some(key) = &self.config.api_key {
            req = req.bearer_auth(key);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| AiError::Llm(format!("request: {}", e.without_url())))?;
        if !resp.status().is_success() {
            return Err(AiError::Llm(format!("status {}", resp.status())));
        }
        let body: Value = resp
            .json()
            .await
            .map_err(|e| AiError::Llm(format!("body: {}", e.without_url())))?;
        let content = body["choices"][0]["message"]["content"]
            .as_str()
            .ok_or_else(|| AiError::Llm("no choices[0].message.content".into()))?;
        let answer: Answer = serde_json::from_str(content)
            .map_err(|e| AiError::Llm(format!("content is not the schema's JSON: {e}")))?;
        self.validate(answer)
    }

    /// Keeps only labels of the desk's lists.
    fn validate(&self, a: Answer) -> Result<Classification, AiError> {
        let category = self
            .config
            .categories
            .iter()
            .find(|c| c.as_str() == a.category.trim())
            .cloned()
            .ok_or_else(|| {
                AiError::Llm(format!(
                    "category {:?} is not one of the desk's",
                    a.category
                ))
            })?;
        let priority: Priority = a
            .priority
            .parse()
            .map_err(|_| AiError::Llm(format!("priority {:?} is not a priority", a.priority)))?;
        let confidence = a
            .confidence
            .filter(|c| (0.0..=1.0).contains(c))
            .unwrap_or(0.5);
        Ok(Classification {
            category: Some(Scored {
                value: category,
                confidence,
            }),
            priority: Some(Scored {
                value: priority,
                confidence,
            }),
            tags: a
                .tags
                .iter()
                .filter_map(|t| Tag::parse(t).ok())
                .take(5)
                .collect(),
            skills: Vec::new(),
            abstained: Vec::new(),
            model: format!("llm:{}", self.config.model),
        })
    }

    /// Whether the fallback's answer is sure enough to skip the endpoint.
    fn sure(&self, local: &Classification) -> bool {
        match (self.config.only_below, &local.category) {
            (Some(limit), Some(c)) => c.confidence >= limit,
            _ => false,
        }
    }
}

#[async_trait]
impl Classifier for LlmClassifier {
    async fn classify(&self, draft: &NewTicket) -> ticket_core::Result<Classification> {
        let local = self.fallback.classify(draft).await;
        if let Ok(l) = &local {
            if self.sure(l) {
                return local;
            }
        }
        match self.ask(draft).await {
            Ok(mut c) => {
                // The local skills stay: the endpoint is not asked for them.
                if let Ok(l) = &local {
                    c.skills.clone_from(&l.skills);
                }
                Ok(c)
            }
            Err(e) => {
                tracing::warn!(error = %e, "LLM classification failed; using the local model");
                local.map(|mut l| {
                    l.model = format!("{} (llm fallback)", l.model);
                    l
                })
            }
        }
    }

    async fn retrain(&self, examples: Vec<TrainingExample>) -> ticket_core::Result<RetrainReport> {
        self.fallback.retrain(examples).await
    }
}
