package neontest

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Test-setup helpers. They bypass the API's validation on purpose (any key
// name or user name may be planted, even token-shaped text or over-long
// names) and panic on unknown ids: a broken fixture is a bug in the test.

// AddUser adds a user. name is free text (it appears as created_by.name).
func (s *Server) AddUser(name string) *User {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := newUUID()
	u := &userRec{User: User{ID: id, Name: name, Email: emailFor(name, id)}, createdAt: s.nowLocked()}
	s.st.users[id] = u
	cp := u.User
	return &cp
}

// AddOrg adds an organization whose admins are the given users.
func (s *Server) AddOrg(name string, adminUserIDs ...string) *Org {
	s.mu.Lock()
	defer s.mu.Unlock()
	var id string
	for id == "" || s.st.orgs[id] != nil {
		id = "org-" + neonStyleID(8)
	}
	o := &orgRec{
		Org:       Org{ID: id, Name: name, Handle: handleFor(name, id)},
		createdAt: s.nowLocked(),
		members:   map[string]bool{},
		memberIDs: map[string]string{},
		joined:    map[string]time.Time{},
	}
	s.st.orgs[id] = o
	s.st.orgOrder = append(s.st.orgOrder, id)
	for _, uid := range adminUserIDs {
		s.addMemberLocked(o, uid, true)
	}
	cp := o.Org
	return &cp
}

// AddOrgMember adds userID to orgID (or changes its role).
func (s *Server) AddOrgMember(orgID, userID string, admin bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addMemberLocked(s.mustOrgLocked("AddOrgMember", orgID), userID, admin)
}

// RemoveOrgMember removes userID from orgID; its personal keys lose access
// to the org, as in Neon.
func (s *Server) RemoveOrgMember(orgID, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.mustOrgLocked("RemoveOrgMember", orgID)
	delete(o.members, userID)
	delete(o.memberIDs, userID)
	delete(o.joined, userID)
	for i, id := range o.order {
		if id == userID {
			o.order = append(o.order[:i], o.order[i+1:]...)
			break
		}
	}
}

func (s *Server) addMemberLocked(o *orgRec, userID string, admin bool) {
	s.mustUserLocked("AddOrgMember", userID)
	if _, ok := o.members[userID]; !ok {
		o.order = append(o.order, userID)
		o.memberIDs[userID], o.joined[userID] = newUUID(), s.nowLocked()
	}
	o.members[userID] = admin
}

// AddProject adds a project to organization orgID; its owner_id is the
// org's first admin. Use AddPersonalProject for a project without org.
func (s *Server) AddProject(name, orgID string) *Project {
	s.mu.Lock()
	defer s.mu.Unlock()
	if orgID == "" {
		panic("neontest: AddProject: empty orgID (use AddPersonalProject)")
	}
	o := s.mustOrgLocked("AddProject", orgID)
	return s.addProjectLocked(name, orgID, s.st.creatorOfOrg(o))
}

// AddPersonalProject adds a project owned by userID, outside any org.
func (s *Server) AddPersonalProject(name, ownerUserID string) *Project {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustUserLocked("AddPersonalProject", ownerUserID)
	return s.addProjectLocked(name, "", ownerUserID)
}

func (s *Server) addProjectLocked(name, orgID, ownerID string) *Project {
	var id string
	for id == "" || s.st.projects[id] != nil {
		id = neonStyleID(6)
	}
	p := &projRec{
		Project:   Project{ID: id, Name: name, OrgID: orgID, OwnerID: ownerID},
		createdAt: s.nowLocked(),
		seq:       len(s.st.projOrder),
	}
	s.st.projects[id] = p
	s.st.projOrder = append(s.st.projOrder, p)
	cp := p.Project
	return &cp
}

// AddPersonalKey adds a personal key of userID and returns its token and id.
func (s *Server) AddPersonalKey(userID, name string) (token string, id int64) {
	token = newToken()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustUserLocked("AddPersonalKey", userID)
	k := s.st.insertKey(&apiKey{KeyInfo: KeyInfo{Name: name, UserID: userID, CreatedBy: userID, CreatedAt: s.nowLocked()}}, token)
	return token, k.ID
}

// AddPersonalKeys adds n personal keys of userID named "key-<id>" (for
// scale tests and benchmarks) and returns their ids. Their tokens are not
// returned; each key is created a second apart, going back from now.
func (s *Server) AddPersonalKeys(userID string, n int) []int64 {
	tokens := newTokens(n)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustUserLocked("AddPersonalKeys", userID)
	now := s.nowLocked()
	ids := make([]int64, 0, n)
	for i, tok := range tokens {
		name := "key-" + strconv.FormatInt(s.st.nextKeyID, 10)
		created := now.Add(-time.Duration(n-i) * time.Second)
		k := s.st.insertKey(&apiKey{KeyInfo: KeyInfo{Name: name, UserID: userID, CreatedBy: userID, CreatedAt: created}}, tok)
		ids = append(ids, k.ID)
	}
	return ids
}

// AddOrgKey adds an organization key of orgID; projectID "" makes it
// org-wide, otherwise it is scoped to that project (of the same org). Its
// creator is the org's first admin.
func (s *Server) AddOrgKey(orgID, name, projectID string) (token string, id int64) {
	token = newToken()
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.mustOrgLocked("AddOrgKey", orgID)
	if projectID != "" {
		p := s.st.projects[projectID]
		if p == nil || p.OrgID != orgID {
			panic(fmt.Sprintf("neontest: AddOrgKey: project %q is not in org %q", projectID, orgID))
		}
	}
	k := s.st.insertKey(&apiKey{KeyInfo: KeyInfo{
		Name: name, OrgID: orgID, ProjectID: projectID,
		CreatedBy: s.st.creatorOfOrg(o), CreatedAt: s.nowLocked(),
	}}, token)
	return token, k.ID
}

// SetKeyLastUsed sets a key's last_used_at and last_used_from_addr; a zero
// t means never used.
func (s *Server) SetKeyLastUsed(keyID int64, t time.Time, addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.mustKeyLocked("SetKeyLastUsed", keyID)
	k.LastUsedAt, k.LastUsedFrom = t, addr
}

// RevokeKey revokes a key as the API would, without a request.
func (s *Server) RevokeKey(keyID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.revokeKey(s.mustKeyLocked("RevokeKey", keyID))
}

// Key returns a stored key (revoked ones included).
func (s *Server) Key(keyID int64) (KeyInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.st.keys[keyID]
	if k == nil {
		return KeyInfo{}, false
	}
	return k.KeyInfo, true
}

// Keys returns every stored key (revoked ones included) in id order.
func (s *Server) Keys() []KeyInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]KeyInfo, 0, len(s.st.keys))
	for id := firstKeyID; id < s.st.nextKeyID; id++ {
		if k := s.st.keys[id]; k != nil {
			out = append(out, k.KeyInfo)
		}
	}
	return out
}

// LiveKeys returns the non-revoked keys in id order.
func (s *Server) LiveKeys() []KeyInfo {
	all := s.Keys()
	out := all[:0]
	for _, k := range all {
		if !k.Revoked {
			out = append(out, k)
		}
	}
	return out
}

func (s *Server) mustUserLocked(op, id string) *userRec {
	u := s.st.users[id]
	if u == nil {
		panic(fmt.Sprintf("neontest: %s: unknown user %q", op, id))
	}
	return u
}

func (s *Server) mustOrgLocked(op, id string) *orgRec {
	o := s.st.orgs[id]
	if o == nil {
		panic(fmt.Sprintf("neontest: %s: unknown org %q", op, id))
	}
	return o
}

func (s *Server) mustKeyLocked(op string, id int64) *apiKey {
	k := s.st.keys[id]
	if k == nil {
		panic(fmt.Sprintf("neontest: %s: unknown key %d", op, id))
	}
	return k
}

func handleFor(name, id string) string {
	h := strings.ToLower(strings.Join(strings.Fields(name), "-"))
	if !validID(h) || len(h) > 40 {
		return id
	}
	return h + "-" + id[len(id)-8:]
}

// Fixture is what Seed creates: one org "Acme" with an admin and a member,
// an org project "shop", a personal project "hobby" of the admin, and keys
// of every kind.
type Fixture struct {
	Admin  *User // "Ada Lovelace": admin of Org
	Member *User // "Grace Hopper": non-admin member of Org

	AdminToken  string // personal key "laptop" of Admin
	AdminKeyID  int64
	MemberToken string // personal key "workstation" of Member
	MemberKeyID int64

	Org             *Org     // "Acme"
	OrgProject      *Project // "shop", in Org
	PersonalProject *Project // "hobby", owned by Admin, no org

	OrgKeyToken     string // org-wide key "ci" of Org
	OrgKeyID        int64
	ProjectKeyToken string // key "shop-deploy" of Org scoped to OrgProject
	ProjectKeyID    int64
}

// Seed fills s with the standard fixture and returns its ids and tokens.
func (s *Server) Seed() *Fixture {
	fx := &Fixture{}
	fx.Admin = s.AddUser("Ada Lovelace")
	fx.Member = s.AddUser("Grace Hopper")
	fx.AdminToken, fx.AdminKeyID = s.AddPersonalKey(fx.Admin.ID, "laptop")
	fx.MemberToken, fx.MemberKeyID = s.AddPersonalKey(fx.Member.ID, "workstation")
	fx.Org = s.AddOrg("Acme", fx.Admin.ID)
	s.AddOrgMember(fx.Org.ID, fx.Member.ID, false)
	fx.OrgProject = s.AddProject("shop", fx.Org.ID)
	fx.PersonalProject = s.AddPersonalProject("hobby", fx.Admin.ID)
	fx.OrgKeyToken, fx.OrgKeyID = s.AddOrgKey(fx.Org.ID, "ci", "")
	fx.ProjectKeyToken, fx.ProjectKeyID = s.AddOrgKey(fx.Org.ID, "shop-deploy", fx.OrgProject.ID)
	return fx
}

// Seed is s.Seed(), for call sites that read better as a function.
func Seed(s *Server) *Fixture { return s.Seed() }
