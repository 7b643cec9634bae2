package neonapi

import "time"

// APIKey is an item of GET /api_keys and GET /organizations/{org_id}/api_keys
// (ApiKeysListResponseItem, OrgApiKeysListResponseItem). It never carries the
// token: Neon shows a token only once, in the create response.
type APIKey struct {
	ID               int64      `json:"id"`
	Name             string     `json:"name"`
	CreatedAt        time.Time  `json:"created_at"`
	CreatedBy        Creator    `json:"created_by"`
	LastUsedAt       *time.Time `json:"last_used_at"`
	LastUsedFromAddr string     `json:"last_used_from_addr"`
	// ProjectID is set on organization keys scoped to one project.
	ProjectID string `json:"project_id,omitempty" neon:"id"`
}

// Creator is the user who created a key, as the list endpoints describe it.
type Creator struct {
	ID    string `json:"id" neon:"id"`
	Name  string `json:"name"`
	Image string `json:"image"`
}

// CreatedAPIKey is the answer to POST /api_keys and POST
// /organizations/{org_id}/api_keys. Key is the secret token, shown once.
type CreatedAPIKey struct {
	ID        int64     `json:"id"`
	Key       string    `json:"key" neon:"token"` // never cleaned: see clean.go
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	// CreatedBy is the creator's user id here (an object in the list items).
	CreatedBy string `json:"created_by" neon:"id"`
	ProjectID string `json:"project_id,omitempty" neon:"id"`
}

// RevokedAPIKey is the answer to the two DELETE endpoints.
type RevokedAPIKey struct {
	ID               int64      `json:"id"`
	Name             string     `json:"name"`
	CreatedAt        time.Time  `json:"created_at"`
	CreatedBy        string     `json:"created_by" neon:"id"`
	LastUsedAt       *time.Time `json:"last_used_at"`
	LastUsedFromAddr string     `json:"last_used_from_addr"`
	Revoked          bool       `json:"revoked"`
	ProjectID        string     `json:"project_id,omitempty" neon:"id"`
}

// CreateOrgAPIKeyRequest is the body of POST /organizations/{org_id}/api_keys.
// A non-empty ProjectID makes a project-scoped key.
type CreateOrgAPIKeyRequest struct {
	KeyName   string `json:"key_name"`
	ProjectID string `json:"project_id,omitempty"`
}

// Project holds the fields of a Neon project that neonkeys uses; the API
// sends many more, which are ignored.
type Project struct {
	ID        string    `json:"id" neon:"id"`
	Name      string    `json:"name"`
	RegionID  string    `json:"region_id" neon:"id"`
	OrgID     string    `json:"org_id,omitempty" neon:"id"`
	CreatedAt time.Time `json:"created_at"`
}

// ListProjectsOptions filters GET /projects. ListProjects follows the cursor
// itself; MaxItems (0 = no limit) stops it early.
type ListProjectsOptions struct {
	OrgID    string
	Search   string
	PageSize int // 1..400; 0 uses 100
	MaxItems int
}

// AuthDetails is the answer to GET /auth: who the credential belongs to.
type AuthDetails struct {
	AccountID  string `json:"account_id" neon:"id"`
	AuthMethod string `json:"auth_method"`
	AuthData   string `json:"auth_data,omitempty"`
}

// Auth methods reported by GET /auth for API keys.
const (
	AuthMethodPersonalKey = "api_key_user"
	AuthMethodOrgKey      = "api_key_org" // org-wide or project-scoped
)

// Organization is an item of GET /users/me/organizations.
type Organization struct {
	ID        string    `json:"id" neon:"id"`
	Name      string    `json:"name"`
	Handle    string    `json:"handle"`
	Plan      string    `json:"plan"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	ManagedBy string    `json:"managed_by"`
}
