package mock

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// discard is a ResponseWriter that keeps nothing, so benchmarks measure the mock alone.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

func benchmarkRequest(b *testing.B, method, target string, header http.Header) {
	s, err := New(Options{Quiet: true})
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest(method, target, nil)
	r.Header = header
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		s.ServeHTTP(w, r)
	}
}

func BenchmarkListMedics(b *testing.B) {
	benchmarkRequest(b, http.MethodGet, "/api/v2/medics/", http.Header{"Authorization": {"Token abc"}})
}

func BenchmarkGetMedicPathAware(b *testing.B) {
	benchmarkRequest(b, http.MethodGet, "/api/v2/medics/11/", http.Header{"Authorization": {"Token abc"}})
}

func BenchmarkStartEmbedded(b *testing.B) {
	for b.Loop() {
		if _, err := New(Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkInvalidQuery(b *testing.B) {
	benchmarkRequest(b, http.MethodGet, "/api/v2/medics/?limit=0", http.Header{"Authorization": {"Token abc"}})
}

func BenchmarkDynamic(b *testing.B) {
	benchmarkRequest(b, http.MethodGet, "/api/v2/medics/", http.Header{"Authorization": {"Token abc"}, "Prefer": {"dynamic=true, seed=1"}})
}
