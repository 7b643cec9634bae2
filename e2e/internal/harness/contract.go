package harness

import (
	"testing"
)

// Values of the product contract written out literally, so that the end-to-end
// tests judge the binary by the contract and not by the product's own code (a
// test comparing with secret.Fingerprint passes whatever format it prints).

// ContractFingerprint is how a token written to a file is named in an answer:
// "napi_…" and the token's last four characters.
func ContractFingerprint(t *testing.T, token string) string {
	t.Helper()
	if len(token) < 4+len("napi_") || token[:len("napi_")] != "napi_" {
		t.Fatalf("the fake API minted a token %d bytes long without the napi_ prefix", len(token))
	}
	return "napi_…" + token[len(token)-4:]
}
