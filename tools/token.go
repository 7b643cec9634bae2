package tools

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/neonkeys/neonkeys/keys"
	"github.com/neonkeys/neonkeys/secret"
)

// storeNotice goes with every token handed out in an answer.
const storeNotice = "store it now: it will not be shown again"

// checkTokenFile refuses, before anything is minted, a key name whose token
// file cannot be created in the secrets directory.
func (d Deps) checkTokenFile(keyName string) error {
	if d.SecretsDir == "" {
		return nil
	}
	path, err := d.tokenFile(keyName)
	if err != nil {
		return err
	}
	return secret.CheckTokenPath(path)
}

// tokenFile is the absolute path of the token file of a key named keyName:
// an answer is read by a client whose working folder nobody knows, so a
// relative path in it would say nothing.
func (d Deps) tokenFile(keyName string) (string, error) {
	path, err := secret.TokenFileName(d.SecretsDir, keyName)
	if err != nil {
		return "", err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("resolving the secrets directory: %w", err)
	}
	return abs, nil
}

// deliver builds the answer for a minted key: the token goes to the secrets
// directory when one is set, else into this one answer (past the redactor,
// through the middleware's token slot). The returned phrase tells the user
// where the token is.
func (d Deps) deliver(ctx context.Context, c *keys.Created) (keys.NewKeyView, string, error) {
	out := c.View()
	out.View = cleanView(out.View)
	if d.SecretsDir != "" {
		// Mask it everywhere first: from here on it must reach only the file.
		d.Redactor.Add(c.Token)
		path, err := d.tokenFile(c.Name)
		if err == nil {
			err = secret.WriteTokenFile(path, c.Token)
		}
		if err != nil {
			return out, "", fmt.Errorf("writing the token file: %w", err)
		}
		out.TokenFile = path
		return out, fmt.Sprintf("The token (%s) was written to %s (mode 0600); it is not shown here.", out.Fingerprint, path), nil
	}
	if ctx.Err() != nil {
		// The client gave up on this call (notifications/cancelled, end of
		// input): an answer now may never be read, so the token is not
		// delivered and the new key is withdrawn.
		return out, "", fmt.Errorf("the call was cancelled before the token could be handed over: %w", ctx.Err())
	}
	out.Token = deliverToken(ctx, c.Token)
	return out, "Token: " + out.Token + "\n" + storeNotice + ".", nil
}

// settlesLater reports whether a token handed over in an answer counts as
// delivered only once the courier wrote that answer (mcp-go writes it after
// the tool returns). With --secrets-dir the file write is the delivery.
func (d Deps) settlesLater() bool { return d.Courier != nil && d.SecretsDir == "" }

// handOver is the keys.Handover of an MCP answer: deliver puts the token in
// this call's answer, and the courier settles it once that answer was
// written (or could not be).
func (d Deps) handOver(ctx context.Context, out *keys.NewKeyView, where *string) keys.Handover {
	return func(c *keys.Created, settle func(error)) error {
		o, w, err := d.deliver(ctx, c)
		if err != nil {
			return err
		}
		*out, *where = o, w
		d.Courier.Expect(c.Token, settle)
		return nil
	}
}

// reportDelivery tells what became of a token handed over in an answer,
// once the courier knows: in the server log (stderr) and to the client in a
// notifications/message (sent at level notice when all went well, which a
// client sees once it set logging/setLevel to notice or lower; at error
// when a key is left as it should not be). ctx is the finished call's: it
// still names the session, and only its values are used.
func (d Deps) reportDelivery(ctx context.Context, tool string, r keys.Delivered) {
	level, text := deliveryOutcome(r)
	text = d.Redactor.Redact(text)
	log := d.logger()
	switch level {
	case mcp.LoggingLevelError:
		log.Error("delivery", "tool", tool, "outcome", text)
	default:
		log.Info("delivery", "tool", tool, "outcome", text)
	}
	data := map[string]any{"tool": tool, "message": text, "new_key_id": r.New.ID, "new_key_delivered": r.Err == nil}
	if r.Old != nil {
		data["old_key_id"] = r.Old.ID
		data["old_revoked"] = r.Err == nil && r.RevokeErr == nil
	}
	srv := server.ServerFromContext(ctx)
	if srv == nil {
		return
	}
	_ = srv.SendLogMessageToClient(context.WithoutCancel(ctx), mcp.NewLoggingMessageNotification(level, "neonkeys", data))
}

// deliveryOutcome says what was done after a handover settled.
func deliveryOutcome(r keys.Delivered) (mcp.LoggingLevel, string) {
	newKey := fmt.Sprintf("new key %d %q", r.New.ID, clean(r.New.Name))
	switch {
	case r.Err != nil && r.WithdrawErr != nil:
		return mcp.LoggingLevelError, fmt.Sprintf("The answer carrying the token of the %s was not delivered (%v), and revoking that key failed: %s. Revoke key %d by hand.",
			newKey, r.Err, explain(keys.OpRevoke, r.WithdrawErr), r.New.ID)
	case r.Err != nil && r.Old != nil:
		return mcp.LoggingLevelError, fmt.Sprintf("Rotation undone: the answer carrying the token of the %s was not delivered (%v), so that key was revoked; the old key %d %q was not revoked and still works.",
			newKey, r.Err, r.Old.ID, clean(r.Old.Name))
	case r.Err != nil:
		return mcp.LoggingLevelError, fmt.Sprintf("The answer carrying the token of the %s was not delivered (%v), so that key was revoked.", newKey, r.Err)
	case r.Old != nil && r.RevokeErr != nil:
		return mcp.LoggingLevelError, fmt.Sprintf("The token of the %s was delivered, but revoking the old key %d %q failed: %s. It still works: revoke it with revoke_api_key once the new token is in place.",
			newKey, r.Old.ID, clean(r.Old.Name), explain(keys.OpRevoke, r.RevokeErr))
	case r.Old != nil:
		return mcp.LoggingLevelNotice, fmt.Sprintf("Rotation complete: the token of the %s was delivered and the old key %d %q is revoked.", newKey, r.Old.ID, clean(r.Old.Name))
	}
	return mcp.LoggingLevelInfo, fmt.Sprintf("The token of the %s was delivered.", newKey)
}
