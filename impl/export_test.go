package impl

// HoldHashSlots takes every hashing slot of s, as hashes running on every core would, until
// release is called.
func (s *Server) HoldHashSlots() (release func()) {
	for range cap(s.hashSlots) {
		s.hashSlots <- struct{}{}
	}
	return func() {
		for range cap(s.hashSlots) {
			<-s.hashSlots
		}
	}
}

// SetAuditing turns the audit trail on or off, for the benchmark measuring what it costs.
func (s *Server) SetAuditing(on bool) { s.auditOff = !on }

// FlushAudit waits until the audit events of the answers given so far are written.
func (s *Server) FlushAudit() { s.audit.flush() }
