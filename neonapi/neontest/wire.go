package neontest

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// Wire structs: field names from the OpenAPI schemas. They are written here,
// not shared with the client, so the fake checks the client independently.

type wireCreator struct { // ApiKeyCreatorData
	ID    string `json:"id"`
	Name  string `json:"name"`
	Image string `json:"image"`
}

type wireKeyItem struct { // ApiKeysListResponseItem / OrgApiKeysListResponseItem
	ID               int64       `json:"id"`
	Name             string      `json:"name"`
	CreatedAt        string      `json:"created_at"`
	CreatedBy        wireCreator `json:"created_by"`
	LastUsedAt       *string     `json:"last_used_at"`
	LastUsedFromAddr string      `json:"last_used_from_addr"`
	ProjectID        string      `json:"project_id,omitempty"`
}

type wireCreateRequest struct { // ApiKeyCreateRequest / OrgApiKeyCreateRequest
	KeyName   *string `json:"key_name"`
	ProjectID *string `json:"project_id"`
}

type wireCreateResponse struct { // ApiKeyCreateResponse / OrgApiKeyCreateResponse
	ID        int64   `json:"id"`
	Key       *string `json:"key,omitempty"` // a pointer so OmitKey can drop it
	Name      string  `json:"name"`
	CreatedAt string  `json:"created_at"`
	CreatedBy string  `json:"created_by"`
	ProjectID string  `json:"project_id,omitempty"`
}

type wireRevokeResponse struct { // ApiKeyRevokeResponse / OrgApiKeyRevokeResponse
	ID               int64   `json:"id"`
	Name             string  `json:"name"`
	CreatedAt        string  `json:"created_at"`
	CreatedBy        string  `json:"created_by"`
	LastUsedAt       *string `json:"last_used_at"`
	LastUsedFromAddr string  `json:"last_used_from_addr"`
	Revoked          bool    `json:"revoked"`
	ProjectID        string  `json:"project_id,omitempty"`
}

type wireProject struct { // Project
	DataStorageBytesHour        int64  `json:"data_storage_bytes_hour"`
	DataTransferBytes           int64  `json:"data_transfer_bytes"`
	WrittenDataBytes            int64  `json:"written_data_bytes"`
	ComputeTimeSeconds          int64  `json:"compute_time_seconds"`
	ActiveTimeSeconds           int64  `json:"active_time_seconds"`
	CPUUsedSec                  int64  `json:"cpu_used_sec"`
	ID                          string `json:"id"`
	PlatformID                  string `json:"platform_id"`
	RegionID                    string `json:"region_id"`
	Name                        string `json:"name"`
	Provisioner                 string `json:"provisioner"`
	PgVersion                   int    `json:"pg_version"`
	ProxyHost                   string `json:"proxy_host"`
	BranchLogicalSizeLimit      int64  `json:"branch_logical_size_limit"`
	BranchLogicalSizeLimitBytes int64  `json:"branch_logical_size_limit_bytes"`
	StorePasswords              bool   `json:"store_passwords"`
	CreationSource              string `json:"creation_source"`
	HistoryRetentionSeconds     int32  `json:"history_retention_seconds"`
	CreatedAt                   string `json:"created_at"`
	UpdatedAt                   string `json:"updated_at"`
	SyntheticStorageSize        int64  `json:"synthetic_storage_size"`
	ConsumptionPeriodStart      string `json:"consumption_period_start"`
	ConsumptionPeriodEnd        string `json:"consumption_period_end"`
	OwnerID                     string `json:"owner_id"`
	OrgID                       string `json:"org_id,omitempty"`
}

type wireProjectResponse struct { // ProjectResponse
	Project wireProject `json:"project"`
}

type wireProjectListItem struct { // ProjectListItem
	ActiveTime                  int64  `json:"active_time"`
	ID                          string `json:"id"`
	PlatformID                  string `json:"platform_id"`
	RegionID                    string `json:"region_id"`
	Name                        string `json:"name"`
	Provisioner                 string `json:"provisioner"`
	PgVersion                   int    `json:"pg_version"`
	ProxyHost                   string `json:"proxy_host"`
	BranchLogicalSizeLimit      int64  `json:"branch_logical_size_limit"`
	BranchLogicalSizeLimitBytes int64  `json:"branch_logical_size_limit_bytes"`
	StorePasswords              bool   `json:"store_passwords"`
	CPUUsedSec                  int64  `json:"cpu_used_sec"`
	CreationSource              string `json:"creation_source"`
	CreatedAt                   string `json:"created_at"`
	UpdatedAt                   string `json:"updated_at"`
	SyntheticStorageSize        int64  `json:"synthetic_storage_size"`
	OwnerID                     string `json:"owner_id"`
	OrgID                       string `json:"org_id,omitempty"`
	OrgName                     string `json:"org_name,omitempty"`
	HistoryRetentionSeconds     int32  `json:"history_retention_seconds"`
}

type wirePagination struct {
	Cursor string `json:"cursor"`
}

type wireProjectsResponse struct { // allOf ProjectsResponse, PaginationResponse, applications, integrations
	Projects     []wireProjectListItem `json:"projects"`
	Pagination   *wirePagination       `json:"pagination,omitempty"`
	Applications map[string][]string   `json:"applications"`
	Integrations map[string][]string   `json:"integrations"`
}

type wireAuthDetails struct { // AuthDetailsResponse
	AccountID  string `json:"account_id"`
	AuthMethod string `json:"auth_method"`
}

type wireOrganization struct { // Organization
	ID        string `json:"id"`
	Name      string `json:"name"`
	Handle    string `json:"handle"`
	Plan      string `json:"plan"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
	ManagedBy string `json:"managed_by"`
}

type wireOrganizations struct { // OrganizationsResponse
	Organizations []wireOrganization `json:"organizations"`
}

type wireAuthAccount struct { // CurrentUserAuthAccount
	Provider string `json:"provider"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	Login    string `json:"login"`
	Image    string `json:"image"`
}

type wireCurrentUser struct { // CurrentUserInfoResponse
	ActiveSecondsLimit  int64             `json:"active_seconds_limit"`
	ID                  string            `json:"id"`
	Email               string            `json:"email"`
	Login               string            `json:"login"`
	Name                string            `json:"name"`
	LastName            string            `json:"last_name"`
	Image               string            `json:"image"`
	ProjectsLimit       int64             `json:"projects_limit"`
	BranchesLimit       int64             `json:"branches_limit"`
	MaxAutoscalingLimit float64           `json:"max_autoscaling_limit"`
	ComputeSecondsLimit int64             `json:"compute_seconds_limit"`
	AuthAccounts        []wireAuthAccount `json:"auth_accounts"`
	Plan                string            `json:"plan"`
}

// formatTime is Neon's timestamp style: RFC 3339, UTC, whole seconds.
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func lastUsedPtr(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := formatTime(t)
	return &s
}

// keyItem builds the list item of k with encoding/json's wire struct; the
// list endpoints use the faster appendKeyItem, which a test checks against it.
func keyItem(k *KeyInfo, creator wireCreator, org bool) wireKeyItem {
	w := wireKeyItem{
		ID:               k.ID,
		Name:             k.Name,
		CreatedAt:        formatTime(k.CreatedAt),
		CreatedBy:        creator,
		LastUsedAt:       lastUsedPtr(k.LastUsedAt),
		LastUsedFromAddr: k.LastUsedFrom,
	}
	if org {
		w.ProjectID = k.ProjectID
	}
	return w
}

// staticItemPrefix encodes the immutable part of a list item (everything but
// the last-use fields), once per key: listing 10,000 keys is then mostly a
// copy, cheap enough to do under the lock without a snapshot.
func staticItemPrefix(k *KeyInfo, creator wireCreator) []byte {
	b := make([]byte, 0, 192+len(k.Name)+len(creator.Name))
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, k.ID, 10)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, k.Name)
	b = append(b, `,"created_at":"`...)
	b = k.CreatedAt.UTC().AppendFormat(b, time.RFC3339)
	b = append(b, `","created_by":{"id":`...)
	b = appendJSONString(b, creator.ID)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, creator.Name)
	b = append(b, `,"image":`...)
	b = appendJSONString(b, creator.Image)
	b = append(b, '}')
	if k.ProjectID != "" { // only organization keys have one
		b = append(b, `,"project_id":`...)
		b = appendJSONString(b, k.ProjectID)
	}
	return b
}

// appendKeyItem appends k's list item: its static prefix and last use.
func appendKeyItem(b []byte, k *apiKey) []byte {
	b = append(b, k.listPrefix...)
	b = append(b, `,"last_used_at":`...)
	if k.LastUsedAt.IsZero() {
		b = append(b, "null"...)
	} else {
		b = append(b, '"')
		b = k.LastUsedAt.UTC().AppendFormat(b, time.RFC3339)
		b = append(b, '"')
	}
	b = append(b, `,"last_used_from_addr":`...)
	b = appendJSONString(b, k.LastUsedFrom)
	return append(b, '}')
}

// encodeKeyList encodes the live keys of keys as a JSON array into one
// pre-sized buffer.
func encodeKeyList(keys []*apiKey) []byte {
	size := 2
	for _, k := range keys {
		size += len(k.listPrefix) + 96
	}
	b := make([]byte, 0, size)
	b = append(b, '[')
	first := true
	for _, k := range keys {
		if k.Revoked {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendKeyItem(b, k)
	}
	return append(b, ']')
}

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, invalid UTF-8 replaced by U+FFFD, and U+2028/
// U+2029 escaped like encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
