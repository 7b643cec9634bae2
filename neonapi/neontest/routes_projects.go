package neontest

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Project list limits from the OpenAPI file (listProjects.limit).
const (
	defaultProjectLimit = 10
	maxProjectLimit     = 400
)

// visibleLocked reports whether key k may see project p.
func (s *Server) visibleLocked(k apiKey, p *projRec) bool {
	switch {
	case k.personal():
		if p.OrgID == "" {
			return p.OwnerID == k.UserID
		}
		o := s.st.orgs[p.OrgID]
		_, member := o.members[k.UserID]
		return member
	case k.ProjectID != "":
		// A project-scoped key stops working when its project leaves the org.
		return p.ID == k.ProjectID && p.OrgID == k.OrgID
	default:
		return p.OrgID == k.OrgID
	}
}

// GET /projects/{project_id}
func (s *Server) getProject(c *call) {
	id := c.segment(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.st.projects[id]
	if p == nil || !s.visibleLocked(c.key, p) {
		c.fail(errf(http.StatusNotFound, "project not found"))
		return
	}
	c.json(http.StatusOK, wireProjectResponse{Project: s.projectWireLocked(p)})
}

// GET /projects?cursor=&limit=&search=&org_id=
//
// Without org_id a personal key lists the user's personal projects (unless
// WithOrgIDRequired); with org_id, that org's projects (members only). An
// org key lists its org; a project-scoped key sees only its project.
// Projects come in creation order; the cursor is the id of the last project
// of the page and is present whenever the page is not empty, so clients must
// also stop on an empty page (as @neon/sdk does).
func (s *Server) listProjects(c *call) {
	q := c.r.URL.Query()
	limit := defaultProjectLimit
	if raw := q.Get("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > maxProjectLimit {
			c.fail(errf(http.StatusBadRequest, "invalid limit %q: must be an integer from 1 to %d", raw, maxProjectLimit))
			return
		}
		limit = n
	}
	orgID := q.Get("org_id")
	if _, given := q["org_id"]; given && !validID(orgID) {
		c.fail(errf(http.StatusBadRequest, "invalid org_id %q: must match %s", orgID, idPattern))
		return
	}
	search := strings.ToLower(q.Get("search"))

	s.mu.Lock()
	defer s.mu.Unlock()
	inScope, err := s.projectScopeLocked(c.key, orgID)
	if err != nil {
		c.fail(err)
		return
	}
	after := -1
	if cur := q.Get("cursor"); cur != "" {
		p := s.st.projects[cur]
		if p == nil {
			c.fail(errf(http.StatusBadRequest, "invalid cursor"))
			return
		}
		after = p.seq
	}
	resp := wireProjectsResponse{
		Projects:     []wireProjectListItem{},
		Applications: map[string][]string{},
		Integrations: map[string][]string{},
	}
	for _, p := range s.st.projOrder[after+1:] {
		if len(resp.Projects) == limit {
			break
		}
		if !inScope(p) {
			continue
		}
		if search != "" && !strings.Contains(strings.ToLower(p.Name), search) && !strings.Contains(p.ID, search) {
			continue
		}
		resp.Projects = append(resp.Projects, s.projectListItemLocked(p))
	}
	if n := len(resp.Projects); n > 0 {
		resp.Pagination = &wirePagination{Cursor: resp.Projects[n-1].ID}
	}
	c.json(http.StatusOK, resp)
}

// projectScopeLocked returns the filter of projects a listing covers.
func (s *Server) projectScopeLocked(k apiKey, orgID string) (func(*projRec) bool, error) {
	if !k.personal() {
		if orgID != "" && orgID != k.OrgID {
			return nil, errf(http.StatusForbidden, msgNotMember)
		}
		return func(p *projRec) bool { return s.visibleLocked(k, p) }, nil
	}
	if orgID != "" {
		o := s.st.orgs[orgID]
		if o == nil {
			return nil, errf(http.StatusForbidden, msgNotMember)
		}
		if _, member := o.members[k.UserID]; !member {
			return nil, errf(http.StatusForbidden, msgNotMember)
		}
		return func(p *projRec) bool { return p.OrgID == orgID }, nil
	}
	if s.orgIDRequired && len(s.userOrgsLocked(k.UserID)) >= 2 {
		return nil, errf(http.StatusBadRequest, "org_id is required: the user belongs to several organizations")
	}
	return func(p *projRec) bool { return p.OrgID == "" && p.OwnerID == k.UserID }, nil
}

// Plausible constant figures for the fields Neon requires.
const (
	fakeRegion        = "aws-us-east-2"
	fakeProxyHost     = "us-east-2.aws.neon.tech"
	fakeProvisioner   = "k8s-neonvm"
	fakePgVersion     = 17
	fakeSizeLimitMiB  = 16384
	fakeRetentionSecs = 86400
	fakeSyntheticSize = 31457280
)

func (s *Server) projectWireLocked(p *projRec) wireProject {
	now := s.nowLocked()
	start := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	return wireProject{
		DataStorageBytesHour:        2831928,
		DataTransferBytes:           1000,
		WrittenDataBytes:            193990002,
		ComputeTimeSeconds:          2485,
		ActiveTimeSeconds:           6214,
		CPUUsedSec:                  1553,
		ID:                          p.ID,
		PlatformID:                  "aws",
		RegionID:                    fakeRegion,
		Name:                        p.Name,
		Provisioner:                 fakeProvisioner,
		PgVersion:                   fakePgVersion,
		ProxyHost:                   fakeProxyHost,
		BranchLogicalSizeLimit:      fakeSizeLimitMiB,
		BranchLogicalSizeLimitBytes: fakeSizeLimitMiB << 20,
		StorePasswords:              true,
		CreationSource:              "console",
		HistoryRetentionSeconds:     fakeRetentionSecs,
		CreatedAt:                   formatTime(p.createdAt),
		UpdatedAt:                   formatTime(p.createdAt),
		SyntheticStorageSize:        fakeSyntheticSize,
		ConsumptionPeriodStart:      formatTime(start),
		ConsumptionPeriodEnd:        formatTime(start.AddDate(0, 1, 0)),
		OwnerID:                     p.OwnerID,
		OrgID:                       p.OrgID,
	}
}

func (s *Server) projectListItemLocked(p *projRec) wireProjectListItem {
	item := wireProjectListItem{
		ActiveTime:                  6214,
		ID:                          p.ID,
		PlatformID:                  "aws",
		RegionID:                    fakeRegion,
		Name:                        p.Name,
		Provisioner:                 fakeProvisioner,
		PgVersion:                   fakePgVersion,
		ProxyHost:                   fakeProxyHost,
		BranchLogicalSizeLimit:      fakeSizeLimitMiB,
		BranchLogicalSizeLimitBytes: fakeSizeLimitMiB << 20,
		StorePasswords:              true,
		CPUUsedSec:                  1553,
		CreationSource:              "console",
		CreatedAt:                   formatTime(p.createdAt),
		UpdatedAt:                   formatTime(p.createdAt),
		SyntheticStorageSize:        fakeSyntheticSize,
		OwnerID:                     p.OwnerID,
		OrgID:                       p.OrgID,
		HistoryRetentionSeconds:     fakeRetentionSecs,
	}
	if o := s.st.orgs[p.OrgID]; o != nil {
		item.OrgName = o.Name
	}
	return item
}

// GET /auth
func (s *Server) authDetails(c *call) {
	if c.key.personal() {
		c.json(http.StatusOK, wireAuthDetails{AccountID: c.key.UserID, AuthMethod: "api_key_user"})
		return
	}
	c.json(http.StatusOK, wireAuthDetails{AccountID: c.key.OrgID, AuthMethod: "api_key_org"})
}

// GET /users/me/organizations: the user's orgs, or the key's own org.
func (s *Server) userOrgs(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var orgs []*orgRec
	if c.key.personal() {
		orgs = s.userOrgsLocked(c.key.UserID)
	} else if o := s.st.orgs[c.key.OrgID]; o != nil {
		orgs = []*orgRec{o}
	}
	resp := wireOrganizations{Organizations: make([]wireOrganization, 0, len(orgs))}
	for _, o := range orgs {
		resp.Organizations = append(resp.Organizations, wireOrganization{
			ID:        o.ID,
			Name:      o.Name,
			Handle:    o.Handle,
			Plan:      "scale",
			CreatedAt: formatTime(o.createdAt),
			UpdatedAt: formatTime(o.createdAt),
			ManagedBy: "console",
		})
	}
	c.json(http.StatusOK, resp)
}

func (s *Server) userOrgsLocked(userID string) []*orgRec {
	var out []*orgRec
	for _, id := range s.st.orgOrder {
		o := s.st.orgs[id]
		if _, member := o.members[userID]; member {
			out = append(out, o)
		}
	}
	return out
}

// GET /users/me: personal keys only.
func (s *Server) currentUser(c *call) {
	if !c.key.personal() {
		c.fail(errf(http.StatusNotFound, msgOrgKeyDenied))
		return
	}
	s.mu.Lock()
	rec := s.st.users[c.key.UserID]
	var u User
	if rec != nil {
		u = rec.User
	}
	s.mu.Unlock()
	if rec == nil {
		c.fail(errf(http.StatusNotFound, "user not found"))
		return
	}
	first, last, _ := strings.Cut(u.Name, " ")
	c.json(http.StatusOK, wireCurrentUser{
		ActiveSecondsLimit:  360000,
		ID:                  u.ID,
		Email:               u.Email,
		Login:               u.Email,
		Name:                first,
		LastName:            last,
		Image:               u.Image,
		ProjectsLimit:       100,
		BranchesLimit:       5000,
		MaxAutoscalingLimit: 16,
		ComputeSecondsLimit: 0,
		AuthAccounts: []wireAuthAccount{{
			Provider: "google",
			Email:    u.Email,
			Name:     u.Name,
			Login:    u.Email,
			Image:    u.Image,
		}},
		Plan: "scale",
	})
}
