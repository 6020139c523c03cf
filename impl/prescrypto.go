package impl

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/galeno-health/galeno/db"
	"github.com/galeno-health/galeno/gen"
)

// Shared pieces of the Prescrypto v2 family (medics, hospitals, memberships).

var (
	errInvalidToken      = newError(http.StatusUnauthorized, "Invalid Token")
	errUnauthorizedMedic = newError(http.StatusUnauthorized, "Unauthorized Medic")
	errNotFound          = newError(http.StatusNotFound, "Not found")
)

// authenticatePrescryptoToken resolves `Authorization: Token <key>` into the token's *db.Medic,
// which handlers must not modify (it may be cached and shared). Deactivated medics cannot use their
// tokens.
func (s *Server) authenticatePrescryptoToken(ctx context.Context, r *http.Request) (any, error) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Token") {
		return nil, errInvalidToken
	}
	token = strings.TrimSpace(token)
	if medic := s.tokens.get(token); medic != nil {
		return medic, nil
	}
	medic, err := s.db.MedicByToken(ctx, token)
	switch {
	case errors.Is(err, db.ErrInvalidToken):
		return nil, errInvalidToken
	case err != nil:
		return nil, err
	case !medic.IsActive:
		return nil, errInvalidToken
	}
	s.tokens.put(token, medic)
	return medic, nil
}

// caller returns the medic whose token authenticated the request.
func caller(ctx context.Context) (*db.Medic, error) { return principal[*db.Medic](ctx) }

// page reads limit and offset: limit defaults to 15 and is capped at 100.
func page(limit, offset *int) db.Page {
	p := db.Page{Limit: 15}
	if limit != nil && *limit > 0 {
		p.Limit = min(*limit, 100)
	}
	if offset != nil && *offset > 0 {
		p.Offset = *offset
	}
	return p
}

// listPage is a page of a list, shaped like the generated *Page types so that it converts to them.
type listPage[J any] struct {
	Count    int
	Next     *string
	Previous *string
	Results  []J
}

// paged fetches one page with list (limit and offset as in page) and renders it with toJSON.
func paged[T, J any](ctx context.Context, limit, offset *int, list func(db.Page) ([]T, int, error), toJSON func(*T) J) (listPage[J], error) {
	p := page(limit, offset)
	items, count, err := list(p)
	if err != nil {
		return listPage[J]{}, err
	}
	lp := listPage[J]{Count: count, Results: make([]J, 0, len(items))}
	lp.Next, lp.Previous = pageLinks(ctx, p, count)
	for i := range items {
		lp.Results = append(lp.Results, toJSON(&items[i]))
	}
	return lp, nil
}

// pageLinks returns the absolute next and previous links of a page of count items, DRF-style.
func pageLinks(ctx context.Context, p db.Page, count int) (next, previous *string) {
	link := func(offset int) *string {
		u := requestURL(ctx)
		q := url.Values{"limit": {strconv.Itoa(p.Limit)}}
		if offset > 0 {
			q.Set("offset", strconv.Itoa(offset))
		}
		u.RawQuery = q.Encode()
		s := u.String()
		return &s
	}
	// count-p.Limit cannot overflow (count ≥ 0, p.Limit ≤ 100) where p.Offset+p.Limit could for an
	// offset the contract did not bound; next then always moves forward and ends.
	if p.Offset < count-p.Limit {
		next = link(p.Offset + p.Limit)
	}
	if p.Offset > 0 {
		previous = link(max(p.Offset-p.Limit, 0))
	}
	return next, previous
}

// membershipType is the type a boolean "admin" flag picks.
func membershipType(admin bool) db.MembershipType {
	if admin {
		return db.Admin
	}
	return db.Member
}

func membershipJSON(m *db.Membership) gen.Membership {
	return gen.Membership{
		Id:             m.ID,
		Medic:          gen.MembershipMedic{Id: &m.MedicID, Name: m.MedicName, Email: m.MedicEmail},
		Hospital:       m.HospitalID,
		TypeMembership: gen.MembershipType(m.TypeMembership),
		IsActive:       m.IsActive,
		IsDeleted:      m.IsDeleted,
		DateJoined:     m.DateJoined,
	}
}
