//! Newtype ids, so a key id can never stand for a principal or a DEK index.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

/// The reserved id of the AWS owned key: lives in a DynamoDB service account, invisible to users.
pub const AWS_OWNED: &str = "aws-owned";

macro_rules! string_id {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(Arc<str>);

        impl $name {
            pub fn new(s: &str) -> Self {
                Self(Arc::from(s))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self::new(s)
            }
        }
    };
}

string_id!(
    /// A KMS key id as written in the scenario (`kms-1`), or `aws-owned`.
    KmsKeyId
);
string_id!(
    /// An IAM principal that calls DynamoDB (`app`, `analytics`).
    PrincipalId
);

impl KmsKeyId {
    pub fn is_aws_owned(&self) -> bool {
        self.as_str() == AWS_OWNED
    }
}

/// A table key: `T1` is the first, each key change makes the next one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct TableKeyId(pub u32);

impl fmt::Display for TableKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "T{}", self.0)
    }
}

/// A data encryption key, one per "underlying structure" of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct DekId(pub u32);

impl fmt::Display for DekId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DEK-{}", self.0)
    }
}

/// An item's primary key, as a number (`item-0000042`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ItemId(pub u64);

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "item-{:07}", self.0)
    }
}

/// A client connection of one principal, numbered from 1.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct ConnectionId(pub u32);

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The region of a key or table that names none (`region` on `[[key]]`).
pub const DEFAULT_REGION: &str = "us-east-1";

/// The name a restore uses for a table's archival backup (aws-behaviour.md #45).
pub const ARCHIVAL: &str = "archival";
