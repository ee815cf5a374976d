//! Audit: the event log with its CloudTrail-shaped KMS calls, and the chain check that decrypts
//! an item through the whole hierarchy with the key material itself (tamper tests use it).

use super::crypto::{self};
use super::event::{DYNAMODB_SERVICE, EncryptionContext, EventKind, KmsCall};
use super::ids::{DekId, ItemId};
use super::kms_call::KmsCallSpec;
use super::table::TableIx;
use super::table::table_key_aad;
use super::table::{dek_aad, item_aad, item_plaintext};
use super::tamper::{AuditError, Tamper, flip};
use super::vocab::KmsOp;
use super::{Engine, Event};

impl Engine {
    /// `audit_item` for table `tx` (any table: declared, a replica, restored). A write this
    /// copy never received is `NoSuchItem`.
    pub fn audit_item(
        &self,
        tx: TableIx,
        id: ItemId,
        tamper: Option<Tamper>,
    ) -> Result<Vec<u8>, AuditError> {
        let item = self
            .dynamo
            .tables
            .get(tx.0)
            .and_then(|t| t.items.get(id.0 as usize))
            .filter(|i| !i.is_absent())
            .ok_or(AuditError::NoSuchItem)?;
        let dek = &self.dynamo.tables[tx.0].deks[item.dek.0 as usize];
        let tk = self.dynamo.tables[tx.0].table_key(dek.under);
        let kms = self
            .key(&tk.kms_key)
            .ok_or_else(|| AuditError::TableKey(tk.id, "unknown KMS key".into()))?;
        let mut blob = tk.wrapped.clone();
        let mut ctx = table_key_aad(&self.dynamo.tables[tx.0].context, tk.id);
        match tamper {
            Some(Tamper::TableKeyBlob(n)) => flip(&mut blob.sealed, n),
            Some(Tamper::TableKeyContext) => ctx.extend_from_slice(b"-restored"),
            _ => {}
        }
        let tk_plain = kms
            .decrypt(&blob, &ctx)
            .map_err(|e| AuditError::TableKey(tk.id, e.code.as_str().into()))?;
        let mut wrapped = dek.wrapped.clone();
        let mut aad_dek = dek.id;
        match tamper {
            Some(Tamper::DekBlob(n)) => flip(&mut wrapped, n),
            Some(Tamper::DekAad) => aad_dek = DekId(dek.id.0 ^ 1),
            _ => {}
        }
        let dek_plain = crypto::open_key(
            &crypto::cipher(&tk_plain),
            &wrapped,
            dek_aad(&self.dynamo.tables[tx.0].table_id, dek.under, aad_dek).as_bytes(),
        )
        .map_err(|_| AuditError::Dek(dek.id))?;
        let mut sealed = item.sealed.clone();
        let mut aad_item = id;
        match tamper {
            Some(Tamper::ItemBlob(n)) => {
                let len = sealed.len as usize;
                let n = n % (12 + len + 16);
                if n < 12 {
                    sealed.nonce[n] ^= 1;
                } else if n < 12 + len {
                    sealed.ct[n - 12] ^= 1;
                } else {
                    sealed.tag[n - 12 - len] ^= 1;
                }
            }
            Some(Tamper::ItemAad) => aad_item = ItemId(id.0 + 1),
            _ => {}
        }
        let pt = crypto::open_item(
            &crypto::cipher(&dek_plain),
            &sealed,
            item_aad(&self.dynamo.tables[tx.0].name, aad_item, dek.id).as_bytes(),
        )
        .map_err(|_| AuditError::Item(id))?;
        if pt != item_plaintext(id) {
            return Err(AuditError::WrongPlaintext(id));
        }
        Ok(pt)
    }

    /// How many items of table `tx` decrypt through the chain right now (checks at most
    /// `limit` items, spread evenly), and the first failure.
    pub fn audit_sample(&self, tx: TableIx, limit: usize) -> (usize, usize, Option<AuditError>) {
        let n = self.dynamo.tables[tx.0].items.len();
        if n == 0 {
            return (0, 0, None);
        }
        let stride = n.div_ceil(limit.max(1)).max(1);
        let mut ok = 0;
        let mut checked = 0;
        let mut first_err = None;
        for i in (0..n).step_by(stride) {
            if self.dynamo.tables[tx.0].items[i].is_absent() {
                continue;
            }
            checked += 1;
            match self.audit_item(TableIx::FIRST, ItemId(i as u64), None) {
                Ok(_) => ok += 1,
                Err(e) => {
                    if first_err.is_none() {
                        first_err = Some(e);
                    }
                }
            }
        }
        (ok, checked, first_err)
    }

    /// Record a scenario step (or live action) in the log at the current time.
    /// Record a live (sandbox) action in the log at the current time.
    pub fn record_live(&mut self, number: usize, action: String) {
        self.emit(None, EventKind::LiveAction { number, action });
    }

    pub fn record_question(&mut self, step: usize, prompt: String, choices: Vec<String>) {
        self.emit(
            None,
            EventKind::Question {
                step,
                prompt,
                choices,
            },
        );
    }

    pub fn record_answer(
        &mut self,
        step: usize,
        held: Vec<usize>,
        choices: Vec<String>,
        note: Option<String>,
    ) {
        self.emit(
            None,
            EventKind::Answer {
                step,
                held,
                choices,
                note,
            },
        );
    }

    pub fn record_step(&mut self, step: usize, action: String, note: Option<String>) {
        self.emit(None, EventKind::Step { step, action, note });
    }

    /// Log an event about table `tx` (`None`: about a key, a step, the world), at the
    /// current time.
    pub(super) fn emit(&mut self, tx: Option<TableIx>, kind: EventKind) {
        // With several tables, name the one it is about (one table needs no name).
        let table = tx
            .filter(|_| self.dynamo.tables.len() > 1)
            .and_then(|tx| self.dynamo.tables.get(tx.0))
            .map(|t| std::sync::Arc::from(t.label().as_str()));
        self.trail.log.push(Event {
            at: self.now,
            table,
            kind,
        });
    }

    /// Log a CloudTrail-shaped KMS call at the current time.
    pub(super) fn log_kms(&mut self, call: KmsCallSpec) {
        let KmsCallSpec {
            table,
            event_name,
            key,
            user,
            material_version,
            error_code,
            purpose,
        } = call;
        let key = &key;
        // No grant exists on the AWS owned key (aws-behaviour.md #73): DynamoDB creates none.
        if event_name == KmsOp::CreateGrant && key.is_aws_owned() {
            return;
        }
        // Direct admin calls come from the console or CLI; everything else DynamoDB makes.
        let direct_admin = event_name.is_direct_admin();
        // The table's encryption context (aws-behaviour.md #75) rides on the calls made for a table.
        let encryption_context =
            table
                .filter(|_| event_name.carries_context())
                .map(|tx| EncryptionContext {
                    table_name: self.dynamo.tables[tx.0].name.clone(),
                    subscriber_id: self.dynamo.tables[tx.0].account.clone(),
                });
        if !key.is_aws_owned() {
            let total = self
                .trail
                .kms_totals
                .entry((event_name, key.clone()))
                .or_insert((0, 0));
            total.0 += 1;
            total.1 += u32::from(error_code.is_some());
        }
        self.emit(
            table,
            EventKind::KmsCall(KmsCall {
                event_name,
                key: key.clone(),
                user,
                invoked_by: (!direct_admin).then_some(DYNAMODB_SERVICE),
                encryption_context,
                material_version,
                error_code,
                in_your_cloudtrail: !key.is_aws_owned(),
                simulator_check: purpose.is_simulator_check(),
                purpose,
            }),
        );
    }
}
