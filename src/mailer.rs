//! The mailer: delivers the notification outbox over SMTP (lettre), in the
//! background, until the server stops. Without SMTP configured it does not run and
//! notices wait in the outbox.

use std::time::Duration;

use async_trait::async_trait;
use labelhive_domain::notice::Delivery;
use labelhive_domain::services::notices::Mailer;
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::watch;

use crate::app::AppState;

/// How the connection to the SMTP server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SmtpTls {
    /// Plain SMTP (a relay on loopback or a trusted network).
    None,
    /// STARTTLS after connecting (usually port 587).
    Starttls,
    /// TLS from the first byte (usually port 465).
    Tls,
}

/// Where notification emails go.
#[derive(Clone)]
pub struct SmtpOptions {
    /// Server host name.
    pub host: String,
    /// Port; `None` for the usual one of `tls`.
    pub port: Option<u16>,
    /// Connection security.
    pub tls: SmtpTls,
    /// User name, when the server wants authentication.
    pub username: Option<String>,
    /// Password (never logged).
    pub password: Option<String>,
    /// Sender address.
    pub from: String,
}

// The password never reaches logs.
impl std::fmt::Debug for SmtpOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpOptions")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("from", &self.from)
            .finish()
    }
}

/// An SMTP client over lettre.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    /// A client for `options`; fails on a bad host or sender address.
    pub fn new(options: &SmtpOptions) -> anyhow::Result<Self> {
        type T = AsyncSmtpTransport<Tokio1Executor>;
        let mut builder = match options.tls {
            SmtpTls::None => T::builder_dangerous(options.host.as_str()),
            SmtpTls::Starttls => T::starttls_relay(&options.host)?,
            SmtpTls::Tls => T::relay(&options.host)?,
        };
        if let Some(port) = options.port {
            builder = builder.port(port);
        }
        if let (Some(user), Some(password)) = (&options.username, &options.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        let from = options
            .from
            .parse::<Mailbox>()
            .map_err(|e| anyhow::anyhow!("--smtp-from {:?}: {e}", options.from))?;
        Ok(Self {
            transport: builder.timeout(Some(Duration::from_secs(30))).build(),
            from,
        })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, to: &str, subject: &str, body: &str) -> Delivery {
        let to = match to.parse::<Mailbox>() {
            Ok(to) => to,
            Err(e) => return Delivery::BadAddress(format!("{to:?} is not an email address: {e}")),
        };
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned());
        let message = match message {
            Ok(m) => m,
            Err(e) => return Delivery::BadAddress(format!("building the message: {e}")),
        };
        match self.transport.send(message).await {
            Ok(_) => Delivery::Sent,
            // A 5xx answer: the server will never take this message.
            Err(e) if e.is_permanent() => Delivery::Unreachable(e.to_string()),
            Err(e) => {
                tracing::warn!(error = %e, "email not delivered; it stays in the outbox");
                Delivery::Retry(e.to_string())
            }
        }
    }
}

/// How often the outbox is looked at when nobody wakes the mailer.
const IDLE_POLL: Duration = Duration::from_secs(2);

/// Delivers due notices until `stop` turns true.
pub async fn run(state: AppState, mailer: SmtpMailer, mut stop: watch::Receiver<bool>) {
    let retry_ms = i64::try_from(state.config.smtp_retry_ms).unwrap_or(i64::MAX);
    loop {
        let claimed = match state.notices.deliver_due(&mailer, retry_ms).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "delivering the outbox");
                0
            }
        };
        if claimed > 0 {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(IDLE_POLL) => {}
            _ = state.mail_queued.notified() => {}
            _ = stop.changed() => return,
        }
    }
}
