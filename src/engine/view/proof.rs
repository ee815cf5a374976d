//! What a step did, from its events: the request's verdict and the KMS calls it made.

use crate::engine::Engine;
use crate::engine::event::{CacheUse, EventKind, RequestResult};
use crate::engine::ids::{DekId, ItemId, KmsKeyId, TableKeyId};
use crate::engine::kms::KmsErrorCode;
use crate::engine::vocab::{ErrorCode, KmsOp};

/// A step's proof is looked for among this many newest events (a reveal reads it right after
/// the step ran; the bound keeps a frame's cost flat however long the log).
const PROOF_SCAN: usize = 20_000;

/// What one scripted step did, read from its events: the proof a presenter's reveal shows
/// ("READ OK · cached T1 · 0 KMS calls").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepProof {
    /// The step's action in the file's words (`read`, `disable-key kms-1`, ...).
    pub action: String,
    /// The read or write the step made: where it found its table key, which one, under which
    /// DEK, and what the caller got.
    pub request: Option<RequestProof>,
    /// KMS calls the step caused (by DynamoDB for a request, or the action itself).
    pub kms_calls: u32,
    /// The first KMS call that failed: the operation, the key and KMS's error.
    pub kms_failure: Option<(KmsOp, KmsKeyId, KmsErrorCode)>,
    /// The action was refused before it reached AWS (its error).
    pub refused: Option<ErrorCode>,
}

/// A read or write, as its step's proof shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestProof {
    pub write: bool,
    /// The item it read or wrote, if it got that far.
    pub item: Option<ItemId>,
    pub cache: CacheUse,
    pub table_key: Option<TableKeyId>,
    pub dek: Option<DekId>,
    pub result: RequestResult,
}

impl Engine {
    /// What step `number` (1-based) did, from its events, looking back from the newest:
    /// `None` if it has not run (or more than `PROOF_SCAN` events ran since).
    pub fn step_proof(&self, number: usize) -> Option<StepProof> {
        let mut kms_calls = 0;
        let mut kms_failure = None;
        let mut request = None;
        let mut refused = None;
        for ev in self.trail.log.iter().rev().take(PROOF_SCAN) {
            match &ev.kind {
                EventKind::Step { step, action, .. } => {
                    if *step != number {
                        // Another step came after it: what was collected is not its own.
                        kms_calls = 0;
                        kms_failure = None;
                        request = None;
                        refused = None;
                        continue;
                    }
                    return Some(StepProof {
                        action: action.clone(),
                        request,
                        kms_calls,
                        kms_failure,
                        refused,
                    });
                }
                EventKind::LiveAction { .. } => {
                    kms_calls = 0;
                    kms_failure = None;
                    request = None;
                    refused = None;
                }
                EventKind::KmsCall(call) => {
                    kms_calls += 1;
                    if let Some(code) = call.error_code {
                        // Looking back, the last one seen is the first made.
                        kms_failure = Some((call.event_name, call.key.clone(), code));
                    }
                }
                EventKind::ItemRead {
                    item,
                    dek,
                    table_key,
                    cache,
                    result,
                    ..
                }
                | EventKind::ItemWritten {
                    item,
                    dek,
                    table_key,
                    cache,
                    result,
                    ..
                } => {
                    request = Some(RequestProof {
                        write: matches!(ev.kind, EventKind::ItemWritten { .. }),
                        item: *item,
                        cache: *cache,
                        table_key: *table_key,
                        dek: *dek,
                        result: result.clone(),
                    });
                }
                EventKind::ActionRefused { error, .. } => refused = Some(*error),
                _ => {}
            }
        }
        None
    }
}
