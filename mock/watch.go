package mock

import (
	"context"
	"os"
	"time"
)

// fileStamp identifies a version of the spec file cheaply.
type fileStamp struct {
	modified time.Time
	size     int64
}

func stampOf(path string) fileStamp {
	info, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	return fileStamp{info.ModTime(), info.Size()}
}

// Watch reloads the spec file whenever it changes, until ctx is done. A broken edit keeps the
// last good spec serving and logs why; the next save is tried again. It returns at once when
// the embedded contract is served.
func (s *Server) Watch(ctx context.Context) {
	if s.opts.SpecFile == "" {
		return
	}
	ticker := time.NewTicker(s.opts.PollInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		s.reloading.Lock()
		unchanged := stampOf(s.opts.SpecFile) == s.stamp
		s.reloading.Unlock()
		if unchanged {
			continue
		}
		if err := s.Reload(); err != nil {
			s.log.message("galeno mock: kept the last good spec: " + err.Error())
			continue
		}
		s.log.message("galeno mock: reloaded " + s.Describe())
	}
}

// Reload loads the spec again and swaps it in when it is good; requests in flight finish with
// the spec they started with. A failure shows in every answer and at /__mock/status until a
// reload succeeds.
func (s *Server) Reload() error {
	s.reloading.Lock()
	defer s.reloading.Unlock()
	c, err := s.load()
	if err != nil {
		s.failed.Store(newReloadFailure(err))
		return err
	}
	s.spec.Store(c)
	s.failed.Store(nil)
	return nil
}
