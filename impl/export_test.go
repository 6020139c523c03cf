package impl

// SetAuditing turns the audit trail on or off, for the benchmark measuring what it costs.
func (s *Server) SetAuditing(on bool) { s.auditOff = !on }

// FlushAudit waits until the audit events of the answers given so far are written.
func (s *Server) FlushAudit() { s.audit.flush() }
