// Package sealed protects state that an MCP server hands to a client and gets
// back later (the requestState of an elicitation round trip). A client can
// forge or replay that state, so it is sealed with AES-GCM under a key that
// lives only in this process (or is shared by the instances of one
// deployment), expires after a few minutes, is bound to the tool and its
// exact arguments, and opens at most once in each process. A state also
// carries Terms the caller checks again once it opens (see Terms.World).
package sealed

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// DefaultTTL is how long a sealed state stays valid: long enough for a person
// to read a confirmation dialog, short enough that a leaked state is useless.
const DefaultTTL = 5 * time.Minute

// Errors Open returns. Callers refuse the action on any of them.
var (
	ErrInvalid  = errors.New("the confirmation state is not one this server issued")
	ErrExpired  = errors.New("the confirmation state has expired")
	ErrReplayed = errors.New("the confirmation state was already used")
	ErrMismatch = errors.New("the confirmation state was issued for a different tool or different arguments")
)

// payload is what a state carries, inside the AEAD.
type payload struct {
	Tool    string `json:"t"`
	Binding string `json:"b"`
	Plan    string `json:"p,omitempty"`
	World   string `json:"w,omitempty"`
	Nonce   string `json:"n"`
	Expires int64  `json:"e"` // unix nanoseconds
}

// Sealer seals and opens states. Safe for concurrent use.
type Sealer struct {
	aead cipher.AEAD
	ttl  time.Duration
	now  func() time.Time

	mu   sync.Mutex
	used map[string]time.Time // nonce → expiry, so a state opens once
}

// New returns a Sealer with a fresh random key. now may be nil (time.Now);
// ttl <= 0 uses DefaultTTL.
func New(ttl time.Duration, now func() time.Time) (*Sealer, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("sealed: random key: %w", err)
	}
	return NewWithKey(key, ttl, now)
}

// KeySize is the length of a Sealer's key: AES-256.
const KeySize = 32

// NewWithKey returns a Sealer with the given key, so that several processes
// sharing it (remote mode behind a load balancer) open each other's states.
// Each still refuses a replay only of the states it opened itself: the
// caller's Terms.World is what refuses one spent on another process.
func NewWithKey(key []byte, ttl time.Duration, now func() time.Time) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("sealed: the key must be %d bytes, not %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("sealed: cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("sealed: gcm: %w", err)
	}
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	if now == nil {
		now = time.Now
	}
	return &Sealer{aead: aead, ttl: ttl, now: now, used: map[string]time.Time{}}, nil
}

// Terms is what a state carries besides its binding; Open returns them.
// Both are opaque here.
type Terms struct {
	// Plan is what the server promised the human beyond the arguments (say,
	// the name it chose for a new key), so the action done is the one
	// approved even if it would be planned differently now.
	Plan string
	// World is what the caller read, when it asked, of the world the action
	// changes (say, the keys already bearing the name it will mint). The
	// caller reads it again once the state opens and refuses when it
	// changed. Processes sharing a key do not share which states they
	// opened: this is what stops a used state replayed on another one.
	World string
}

// Seal returns an opaque state bound to tool and binding (e.g. the canonical
// JSON of the tool's arguments), carrying terms.
func (s *Sealer) Seal(tool, binding string, terms Terms) (string, error) {
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("sealed: random nonce: %w", err)
	}
	plain, err := json.Marshal(payload{
		Tool: tool, Binding: binding, Plan: terms.Plan, World: terms.World,
		Nonce:   base64.RawURLEncoding.EncodeToString(nonce),
		Expires: s.now().Add(s.ttl).UnixNano(),
	})
	if err != nil {
		return "", fmt.Errorf("sealed: encode: %w", err)
	}
	iv := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(iv); err != nil {
		return "", fmt.Errorf("sealed: random iv: %w", err)
	}
	// The tool name is also authenticated data, so a state cannot even be
	// decrypted under another tool's name.
	box := s.aead.Seal(iv, iv, plain, []byte(tool))
	return base64.RawURLEncoding.EncodeToString(box), nil
}

// Open checks state and consumes it: it must have been sealed by this Sealer
// for tool and binding, not be expired, and not have been opened before by
// this Sealer. It returns the terms sealed with it; a refused state carries
// none.
func (s *Sealer) Open(tool, binding, state string) (Terms, error) {
	box, decErr := base64.RawURLEncoding.DecodeString(state)
	if decErr != nil || len(box) < s.aead.NonceSize()+s.aead.Overhead() {
		return Terms{}, ErrInvalid
	}
	iv, sealedText := box[:s.aead.NonceSize()], box[s.aead.NonceSize():]
	plain, openErr := s.aead.Open(nil, iv, sealedText, []byte(tool))
	if openErr != nil {
		// A wrong tool name fails here too; it is indistinguishable from a
		// forgery, and both are refused.
		return Terms{}, ErrInvalid
	}
	var p payload
	if json.Unmarshal(plain, &p) != nil || p.Nonce == "" {
		return Terms{}, ErrInvalid
	}
	now := s.now()
	if p.Tool != tool || p.Binding != binding {
		return Terms{}, ErrMismatch
	}
	expires := time.Unix(0, p.Expires)
	if !now.Before(expires) {
		return Terms{}, ErrExpired
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for n, exp := range s.used {
		if !now.Before(exp) {
			delete(s.used, n) // expired states fail the expiry check anyway
		}
	}
	if _, seen := s.used[p.Nonce]; seen {
		return Terms{}, ErrReplayed
	}
	s.used[p.Nonce] = expires
	return Terms{Plan: p.Plan, World: p.World}, nil
}
