package impl

// SetAuditing turns the audit trail on or off, for the benchmark measuring what it costs.
func (s *Server) SetAuditing(on bool) { s.auditing = on }
