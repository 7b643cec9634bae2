package neontest

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
)

// firstKeyID is where key ids start: real Neon key ids are six- or
// seven-digit integers, so small ids would hide int32 truncation bugs less well.
const firstKeyID int64 = 1000001

// tokenAlphabet and tokenLen give "napi_" + 68 lowercase letters and digits.
const (
	tokenPrefix   = "napi_"
	tokenAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	tokenLen      = 68
)

// User is a Neon user known to the fake.
type User struct {
	ID    string // uuid-like
	Name  string // any text; appears as created_by.name in key lists
	Email string
	Image string
}

// Org is a Neon organization known to the fake.
type Org struct {
	ID     string // "org-<adjective>-<noun>-<8 digits>"
	Name   string
	Handle string
}

// Project is a Neon project known to the fake.
type Project struct {
	ID      string
	Name    string
	OrgID   string // "" for a personal project
	OwnerID string // user id
}

// KeyInfo describes a stored API key (never its token), for assertions.
type KeyInfo struct {
	ID           int64
	Name         string
	UserID       string // owner of a personal key, "" for organization keys
	OrgID        string // owner of an organization or project-scoped key
	ProjectID    string // set on project-scoped keys
	CreatedBy    string // user id of the creator
	CreatedAt    time.Time
	LastUsedAt   time.Time // zero when never used
	LastUsedFrom string
	Revoked      bool
}

type userRec struct {
	User
	createdAt     time.Time
	deactivatedAt time.Time // zero unless DeactivateUser
}

type orgRec struct {
	Org
	createdAt time.Time
	members   map[string]bool // user id → admin
	order     []string        // member user ids in join order
	// memberIDs and joined describe each membership for the members list.
	memberIDs map[string]string    // user id → member id
	joined    map[string]time.Time // user id → when it joined
}

type projRec struct {
	Project
	createdAt time.Time
	seq       int // index in store.projOrder; the list cursor's position
}

type apiKey struct {
	KeyInfo
	token      string
	listPrefix []byte // see staticItemPrefix
}

func (k *apiKey) personal() bool { return k.UserID != "" }

// account names the namespace in which key names must be unique.
func (k *apiKey) account() string {
	if k.personal() {
		return "user:" + k.UserID
	}
	return "org:" + k.OrgID
}

// store is the fake's state. It is not synchronized: Server.mu guards it.
type store struct {
	nextKeyID int64
	users     map[string]*userRec
	orgs      map[string]*orgRec
	orgOrder  []string
	projects  map[string]*projRec
	projOrder []*projRec
	keys      map[int64]*apiKey
	byToken   map[string]*apiKey
	userKeys  map[string][]*apiKey // user id → personal keys in id order (revoked included)
	orgKeys   map[string][]*apiKey // org id → org keys in id order (revoked included)
	// liveNames counts non-revoked keys per account and name, for the 409 check.
	liveNames map[string]map[string]int
}

func newStore() *store {
	return &store{
		nextKeyID: firstKeyID,
		users:     map[string]*userRec{},
		orgs:      map[string]*orgRec{},
		projects:  map[string]*projRec{},
		keys:      map[int64]*apiKey{},
		byToken:   map[string]*apiKey{},
		userKeys:  map[string][]*apiKey{},
		orgKeys:   map[string][]*apiKey{},
		liveNames: map[string]map[string]int{},
	}
}

func (st *store) nameTaken(account, name string) bool {
	return st.liveNames[account][name] > 0
}

// insertKey stores k (id and token assigned here) and indexes it.
func (st *store) insertKey(k *apiKey, token string) *apiKey {
	k.ID = st.nextKeyID
	st.nextKeyID++
	k.token = token
	k.listPrefix = staticItemPrefix(&k.KeyInfo, st.creator(k.CreatedBy))
	st.keys[k.ID] = k
	st.byToken[token] = k
	if k.personal() {
		st.userKeys[k.UserID] = append(st.userKeys[k.UserID], k)
	} else {
		st.orgKeys[k.OrgID] = append(st.orgKeys[k.OrgID], k)
	}
	acct := k.account()
	if st.liveNames[acct] == nil {
		st.liveNames[acct] = map[string]int{}
	}
	st.liveNames[acct][k.Name]++
	return k
}

func (st *store) revokeKey(k *apiKey) {
	if k.Revoked {
		return
	}
	k.Revoked = true
	delete(st.byToken, k.token)
	acct := k.account()
	st.liveNames[acct][k.Name]--
	if st.liveNames[acct][k.Name] <= 0 {
		delete(st.liveNames[acct], k.Name)
	}
}

// creator is the created_by object of keys made by userID.
func (st *store) creator(userID string) wireCreator {
	if u := st.users[userID]; u != nil {
		return wireCreator{ID: u.ID, Name: u.Name, Image: u.Image}
	}
	return wireCreator{ID: userID}
}

// creatorOfOrg picks the user recorded as creator of keys added by test
// helpers: the first admin, else the first member, else nobody.
func (st *store) creatorOfOrg(o *orgRec) string {
	for _, id := range o.order {
		if o.members[id] {
			return id
		}
	}
	if len(o.order) > 0 {
		return o.order[0]
	}
	return ""
}

// newTokens returns n fresh tokens from crypto/rand in one read per batch.
func newTokens(n int) []string {
	out := make([]string, 0, n)
	buf := make([]byte, 0, tokenLen)
	// 252 = 7*36: bytes at or above it are rejected to keep the draw uniform.
	raw := make([]byte, 128*n+128)
	fill := func() {
		if _, err := rand.Read(raw); err != nil {
			panic(fmt.Sprintf("neontest: crypto/rand: %v", err))
		}
	}
	fill()
	pos := 0
	for len(out) < n {
		buf = buf[:0]
		for len(buf) < tokenLen {
			if pos == len(raw) {
				fill()
				pos = 0
			}
			b := raw[pos]
			pos++
			if b < 252 {
				buf = append(buf, tokenAlphabet[b%36])
			}
		}
		out = append(out, tokenPrefix+string(buf))
	}
	return out
}

func newToken() string { return newTokens(1)[0] }

// newUUID returns a random RFC 4122 version 4 uuid string.
func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("neontest: crypto/rand: %v", err))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func randUint32() uint32 {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("neontest: crypto/rand: %v", err))
	}
	return binary.BigEndian.Uint32(b[:])
}

// neonStyleID returns "<adj>-<noun>-<digits>" with the given number of
// digits, like Neon's "shiny-wind-028834".
func neonStyleID(digits int) string {
	idAdjectives := [...]string{"shiny", "morning", "winter", "spring", "floral", "bitter", "dark", "quiet", "bold", "misty", "polished", "royal"}
	idNouns := [...]string{"wind", "bread", "boat", "king", "sound", "snowflake", "river", "field", "cloud", "forest", "star", "hill"}
	r := randUint32()
	adj := idAdjectives[r%uint32(len(idAdjectives))]
	noun := idNouns[(r/16)%uint32(len(idNouns))]
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%s-%s-%0*d", adj, noun, digits, randUint32()%mod)
}

// emailFor derives a plausible address from a display name.
func emailFor(name, id string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '.' || r == '-' || r == '_':
			if b.Len() > 0 && !strings.HasSuffix(b.String(), ".") {
				b.WriteByte('.')
			}
		}
	}
	local := strings.Trim(b.String(), ".")
	if local == "" {
		local = "user-" + id[:8]
	}
	return local + "@example.com"
}
