package neontest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"unicode/utf8"
)

// maxKeyNameLen is ApiKeyCreateRequest.key_name maxLength (in characters).
const maxKeyNameLen = 64

// idPattern is the OpenAPI pattern of project and organization ids.
const idPattern = `^[a-z0-9-]{1,60}$`

// Error texts clients may match on. Neon's exact wording is unverified
// except where neon-api.md quotes a client.
const (
	msgAuthFailed    = "authentication failed"
	msgOrgKeyDenied  = "not allowed for organization API keys"
	msgNotMember     = "not an organization member"
	msgPersonalOnly  = "only a personal credential can mint organization keys"
	msgAdminOnly     = "only organization admins can manage organization API keys"
	msgKeyNotFound   = "API key not found"
	msgDuplicateName = "choose another unique name for api key"
)

// GET /api_keys: the caller's live personal keys, in creation order.
func (s *Server) listKeys(c *call) {
	if !c.key.personal() {
		c.fail(errf(http.StatusNotFound, msgOrgKeyDenied))
		return
	}
	s.mu.Lock()
	body := encodeKeyList(s.st.userKeys[c.key.UserID])
	s.mu.Unlock()
	c.respond(http.StatusOK, "application/json", body)
}

// POST /api_keys {key_name}
func (s *Server) createKey(c *call) {
	if !c.key.personal() {
		c.fail(errf(http.StatusNotFound, msgOrgKeyDenied))
		return
	}
	req, err := parseCreate(c.body)
	if err != nil {
		c.fail(err)
		return
	}
	token := newToken()
	s.mu.Lock()
	k := &apiKey{KeyInfo: KeyInfo{Name: *req.KeyName, UserID: c.key.UserID, CreatedBy: c.key.UserID, CreatedAt: s.nowLocked()}}
	if s.st.nameTaken(k.account(), k.Name) {
		s.mu.Unlock()
		c.fail(errf(http.StatusConflict, msgDuplicateName))
		return
	}
	s.st.insertKey(k, token)
	resp := createResponse(k)
	s.mu.Unlock()
	c.json(http.StatusOK, c.tampered(resp))
}

// DELETE /api_keys/{key_id}: only the caller's own personal keys.
func (s *Server) revokeKey(c *call) {
	id, err := parseKeyID(c.segment(1))
	if err != nil {
		c.fail(err)
		return
	}
	if !c.key.personal() {
		c.fail(errf(http.StatusNotFound, msgOrgKeyDenied))
		return
	}
	s.mu.Lock()
	k := s.st.keys[id]
	if k == nil || !k.personal() || k.UserID != c.key.UserID || k.Revoked {
		s.mu.Unlock()
		c.fail(errf(http.StatusNotFound, msgKeyNotFound))
		return
	}
	s.st.revokeKey(k)
	resp := revokeResponse(k)
	s.mu.Unlock()
	c.json(http.StatusOK, resp)
}

// GET /organizations/{org_id}/api_keys: members (personal keys) and the
// org's own org-wide keys may list.
func (s *Server) listOrgKeys(c *call) {
	orgID := c.segment(1)
	s.mu.Lock()
	if err := s.canReadOrgKeysLocked(c.key, orgID); err != nil {
		s.mu.Unlock()
		c.fail(err)
		return
	}
	body := encodeKeyList(s.st.orgKeys[orgID])
	s.mu.Unlock()
	c.respond(http.StatusOK, "application/json", body)
}

// POST /organizations/{org_id}/api_keys {key_name, project_id?}
func (s *Server) createOrgKey(c *call) {
	orgID := c.segment(1)
	s.mu.Lock()
	err := s.canManageOrgKeysLocked(c.key, orgID, msgPersonalOnly)
	s.mu.Unlock()
	if err != nil {
		c.fail(err)
		return
	}
	req, err := parseCreate(c.body)
	if err != nil {
		c.fail(err)
		return
	}
	projectID := ""
	if req.ProjectID != nil {
		projectID = *req.ProjectID
		if !validID(projectID) {
			c.fail(errf(http.StatusBadRequest, "project_id %q does not match %s", projectID, idPattern))
			return
		}
	}
	token := newToken()
	s.mu.Lock()
	if projectID != "" {
		p := s.st.projects[projectID]
		if p == nil || p.OrgID != orgID {
			s.mu.Unlock()
			c.fail(errf(http.StatusNotFound, "project %s not found in organization %s", projectID, orgID))
			return
		}
	}
	k := &apiKey{KeyInfo: KeyInfo{Name: *req.KeyName, OrgID: orgID, ProjectID: projectID, CreatedBy: c.key.UserID, CreatedAt: s.nowLocked()}}
	if s.st.nameTaken(k.account(), k.Name) {
		s.mu.Unlock()
		c.fail(errf(http.StatusConflict, msgDuplicateName))
		return
	}
	s.st.insertKey(k, token)
	resp := createResponse(k)
	s.mu.Unlock()
	c.json(http.StatusOK, c.tampered(resp))
}

// DELETE /organizations/{org_id}/api_keys/{key_id}: an admin's personal key,
// or an org-wide key of the org itself. Neon's "Manage organizations using
// the Neon API" page (its matrix of operations and key types) lets an
// organization API key list and revoke its organization's keys, not create
// them; a project-scoped key is member-level and may do neither.
func (s *Server) revokeOrgKey(c *call) {
	orgID := c.segment(1)
	id, err := parseKeyID(c.segment(3))
	if err != nil {
		c.fail(err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock() // the answer is small: encode under the lock
	if err := s.canRevokeOrgKeysLocked(c.key, orgID); err != nil {
		c.fail(err)
		return
	}
	k := s.st.keys[id]
	if k == nil || k.personal() || k.OrgID != orgID || k.Revoked {
		c.fail(errf(http.StatusNotFound, msgKeyNotFound))
		return
	}
	s.st.revokeKey(k)
	c.json(http.StatusOK, revokeResponse(k))
}

// canReadOrgKeysLocked: a member's personal key, or an org-wide key of the
// org. Project-scoped keys are "member-level, no org actions" (Neon docs),
// so they may not. An unknown org answers like a foreign one (no oracle).
func (s *Server) canReadOrgKeysLocked(k apiKey, orgID string) error {
	switch {
	case k.personal():
		if o := s.st.orgs[orgID]; o != nil {
			if _, ok := o.members[k.UserID]; ok {
				return nil
			}
		}
		return errf(http.StatusForbidden, msgNotMember)
	case k.ProjectID != "":
		return errf(http.StatusForbidden, "project-scoped API keys cannot list organization API keys")
	case k.OrgID == orgID:
		return nil
	}
	return errf(http.StatusForbidden, msgNotMember)
}

// canRevokeOrgKeysLocked: an org-wide key of the org, or what may manage
// (see revokeOrgKey).
func (s *Server) canRevokeOrgKeysLocked(k apiKey, orgID string) error {
	switch {
	case k.personal():
		return s.canManageOrgKeysLocked(k, orgID, "")
	case k.ProjectID != "":
		return errf(http.StatusForbidden, "project-scoped API keys cannot revoke organization API keys")
	case k.OrgID != orgID:
		return errf(http.StatusForbidden, msgNotMember)
	}
	return nil
}

// canManageOrgKeysLocked: only a personal key of an admin of the org.
func (s *Server) canManageOrgKeysLocked(k apiKey, orgID, notPersonalMsg string) error {
	if !k.personal() {
		return errf(http.StatusForbidden, "%s", notPersonalMsg)
	}
	o := s.st.orgs[orgID]
	if o == nil {
		return errf(http.StatusForbidden, msgNotMember)
	}
	admin, member := o.members[k.UserID]
	switch {
	case !member:
		return errf(http.StatusForbidden, msgNotMember)
	case !admin:
		return errf(http.StatusForbidden, msgAdminOnly)
	}
	return nil
}

// validID checks idPattern without a regexp.
func validID(id string) bool {
	if len(id) < 1 || len(id) > 60 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func parseCreate(body []byte) (wireCreateRequest, error) {
	var req wireCreateRequest
	if len(body) == 0 {
		return req, errf(http.StatusBadRequest, "request body is required")
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return req, errf(http.StatusBadRequest, "invalid request body: %v", err)
	}
	switch {
	case req.KeyName == nil || *req.KeyName == "":
		return req, errf(http.StatusBadRequest, "key_name is required")
	case utf8.RuneCountInString(*req.KeyName) > maxKeyNameLen:
		return req, errf(http.StatusBadRequest, "key_name must be at most %d characters", maxKeyNameLen)
	}
	return req, nil
}

func parseKeyID(raw string) (int64, error) {
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return 0, errf(http.StatusBadRequest, "invalid key_id %q: must be an integer", raw)
	}
	return id, nil
}

func createResponse(k *apiKey) wireCreateResponse {
	token := k.token
	return wireCreateResponse{
		ID:        k.ID,
		Key:       &token,
		Name:      k.Name,
		CreatedAt: formatTime(k.CreatedAt),
		CreatedBy: k.CreatedBy,
		ProjectID: k.ProjectID,
	}
}

func revokeResponse(k *apiKey) wireRevokeResponse {
	return wireRevokeResponse{
		ID:               k.ID,
		Name:             k.Name,
		CreatedAt:        formatTime(k.CreatedAt),
		CreatedBy:        k.CreatedBy,
		LastUsedAt:       lastUsedPtr(k.LastUsedAt),
		LastUsedFromAddr: k.LastUsedFrom,
		Revoked:          true,
		ProjectID:        k.ProjectID,
	}
}

// tampered applies a create-response tampering fault, if any.
func (c *call) tampered(resp wireCreateResponse) wireCreateResponse {
	f := c.tamper
	if f == nil {
		return resp
	}
	if f.OmitKey {
		resp.Key = nil
	}
	if f.EmptyKey {
		empty := ""
		resp.Key = &empty
	}
	if f.WrongProjectID != "" {
		resp.ProjectID = f.WrongProjectID
	}
	if f.Key != "" {
		resp.Key = &f.Key
	}
	return resp
}
