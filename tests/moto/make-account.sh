#!/bin/sh
# Builds a small account in a moto server (`moto_server`), with the AWS CLI, as a user's would
# be: keys with aliases, tables under them (one under the AWS owned key), an on-demand backup,
# a disabled key, a key scheduled for deletion. Used by tests/moto.rs and to make
# examples/account-export (see its README).
#
#   sh tests/moto/make-account.sh http://127.0.0.1:PORT
set -eu
e="--endpoint-url $1 --region us-east-1"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
key() { aws kms create-key $e --description "$1" --query KeyMetadata.KeyId --output text; }
table() {
  name="$1"; shift
  aws dynamodb create-table $e --table-name "$name" \
    --attribute-definitions AttributeName=pk,AttributeType=S --key-schema AttributeName=pk,KeyType=HASH \
    --billing-mode PAY_PER_REQUEST "$@" > /dev/null
}
orders=$(key "orders")
aws kms create-alias $e --alias-name alias/orders --target-key-id "$orders"
aws kms enable-key-rotation $e --key-id "$orders"
audit=$(key "audit")
aws kms create-alias $e --alias-name alias/audit --target-key-id "$audit"
reports=$(key "reports")
aws kms create-alias $e --alias-name alias/reports --target-key-id "$reports"
spare=$(key "spare")
aws kms create-alias $e --alias-name alias/spare --target-key-id "$spare"
table Orders --sse-specification "Enabled=true,SSEType=KMS,KMSMasterKeyId=$orders"
table Audit --sse-specification "Enabled=true,SSEType=KMS,KMSMasterKeyId=$audit"
table Reports --sse-specification "Enabled=true,SSEType=KMS,KMSMasterKeyId=$reports"
table Sessions
aws dynamodb create-backup $e --table-name Orders --backup-name orders-nightly > /dev/null
aws dynamodb create-backup $e --table-name Audit --backup-name audit-before-cleanup > /dev/null
# The cleanup that went wrong: the audit key scheduled for deletion while Audit still uses it,
# the reports key disabled.
aws kms schedule-key-deletion $e --key-id "$audit" --pending-window-in-days 7 > /dev/null
aws kms disable-key $e --key-id "$reports"
