// Package rxpdf lays a prescription out as a PDF the way the platform's hospital page describes it:
// the hospital's patron and location in the header, letter or half-letter paper, an optional
// information page, and a QR code a pharmacy scans to verify the prescription.
//
// Libraries: codeberg.org/go-pdf/fpdf is the maintained continuation of gofpdf (github.com/go-pdf/fpdf
// moved there), pure Go and able to embed and subset TrueType fonts, so Spanish text renders without a
// code-page translator. The fonts are the Go fonts from golang.org/x/image, which cover Latin-1 (é, ñ,
// ó, ü, ¿, ¡) and ship inside a Go module, so nothing is read from the file system at run time.
// github.com/yeqown/go-qrcode/v2 is a maintained, pure Go QR encoder that exposes the module matrix,
// so the code is drawn as vector squares and stays sharp at any printer resolution.
package rxpdf

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"codeberg.org/go-pdf/fpdf"
	"github.com/yeqown/go-qrcode/v2"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
)

// Hospital is the place the medic prescribes from; its fields fill the header of every page.
type Hospital struct {
	Name, Patron, Location, Contact, Headline, Info string
	HalfLetter                                      bool
}

// Medic is the prescriber as printed under the header.
type Medic struct {
	Name, Specialty, CedulaProf, SpecialtyNo, AlmaMater string
	Female                                              bool
}

// Patient is the person the prescription is for.
type Patient struct {
	Name, Email, Gender string
	DateOfBirth         time.Time
}

// Medication is one prescribed drug with its instructions.
type Medication struct {
	Presentation, Instructions, DrugUPC, Category string
	Qty                                           int
}

// Document is everything printed on a prescription.
type Document struct {
	Hospital      Hospital
	Medic         Medic
	Patient       Patient
	Diagnosis     string // printed only when ShowDiagnosis
	ShowDiagnosis bool
	Extras        string
	Medications   []Medication
	Issued        time.Time // printed as a date in its own location: pass it in the hospital's time zone
	Signature     string
	VerifyURL     string // encoded in the QR code; none is drawn when empty
}

// Paper sizes in millimetres; half letter is the letter sheet cut in two, kept portrait.
var (
	letter     = fpdf.SizeType{Wd: 215.9, Ht: 279.4}
	halfLetter = fpdf.SizeType{Wd: 139.7, Ht: 215.9}
)

// spanishMonths names the months the way a Mexican prescription dates itself.
var spanishMonths = [...]string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio",
	"agosto", "septiembre", "octubre", "noviembre", "diciembre"}

// layout holds the measures that differ between letter and half-letter paper.
type layout struct {
	size            fpdf.SizeType
	margin, qrSize  float64
	body, small, h1 float64
}

// renderer carries the document being drawn and its measures.
type renderer struct {
	pdf    *fpdf.Fpdf
	doc    Document
	lay    layout
	font   *sfnt.Font
	glyphs sfnt.Buffer
}

// Render lays the prescription out as hospital.md describes and returns the PDF.
func Render(d Document) ([]byte, error) {
	lay := layout{size: letter, margin: 15, qrSize: 32, body: 10, small: 8, h1: 15}
	if d.Hospital.HalfLetter {
		lay = layout{size: halfLetter, margin: 9, qrSize: 26, body: 8.5, small: 7, h1: 12}
	}
	font, err := goFont()
	if err != nil {
		return nil, fmt.Errorf("rxpdf: parse the Go font: %w", err)
	}
	pdf := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "mm", Size: lay.size})
	r := &renderer{pdf: pdf, doc: d, lay: lay, font: font}
	pdf.AddUTF8FontFromBytes("go", "", goregular.TTF)
	pdf.AddUTF8FontFromBytes("go", "B", gobold.TTF)
	pdf.AddUTF8FontFromBytes("go", "I", goitalic.TTF)
	pdf.SetMargins(lay.margin, lay.margin, lay.margin)
	pdf.SetAutoPageBreak(true, lay.margin+6)
	pdf.SetCatalogSort(true)
	if !d.Issued.IsZero() {
		// The document's own date, not the render time, so the same prescription renders the same bytes.
		pdf.SetCreationDate(d.Issued)
		pdf.SetModificationDate(d.Issued)
	}
	pdf.SetTitle(r.line("Receta "+d.Signature), true)
	pdf.SetAuthor(r.line(d.Medic.Name), true)
	pdf.SetCreator("Galeno", false)
	pdf.AliasNbPages("")

	pdf.SetHeaderFunc(r.header)
	pdf.SetFooterFunc(r.footer)
	pdf.AddPage()
	r.medic()
	r.patient()
	r.diagnosis()
	r.medications()
	r.extras()
	if err := r.signature(); err != nil {
		return nil, err
	}
	r.info()

	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("rxpdf: render: %w", err)
	}
	return buf.Bytes(), nil
}

// width is the usable width between the margins.
func (r *renderer) width() float64 { return r.lay.size.Wd - 2*r.lay.margin }

// text writes s as a wrapped paragraph in the given style and size; long words are split and long
// paragraphs continue on the next page.
func (r *renderer) text(style string, size float64, s, align string) {
	r.pdf.SetFont("go", style, size)
	r.pdf.SetX(r.lay.margin)
	r.pdf.MultiCell(r.width(), size*0.45, s, "", align, false)
}

// rule draws a thin horizontal line under the current position.
func (r *renderer) rule() {
	y := r.pdf.GetY() + 1.5
	r.pdf.SetDrawColor(150, 150, 150)
	r.pdf.SetLineWidth(0.3)
	r.pdf.Line(r.lay.margin, y, r.lay.size.Wd-r.lay.margin, y)
	r.pdf.SetY(y + 2.5)
}

// header prints the hospital on every page, so a continuation page still says where it comes from.
func (r *renderer) header() {
	h := r.doc.Hospital
	patron := r.line(h.Patron)
	if patron == "" {
		patron = r.line(h.Name)
	}
	r.text("B", r.lay.h1, patron, "C")
	if s := r.line(h.Headline); s != "" {
		r.text("I", r.lay.small+1, s, "C")
	}
	if s := r.line(h.Location); s != "" {
		r.text("", r.lay.small+1, s, "C")
	}
	if s := r.line(h.Contact); s != "" {
		r.text("", r.lay.small+1, s, "C")
	}
	r.rule()
}

// footer numbers the pages so a pharmacy notices a missing one.
func (r *renderer) footer() {
	r.pdf.SetY(-(r.lay.margin + 4))
	r.text("I", r.lay.small, fmt.Sprintf("Página %d de {nb}", r.pdf.PageNo()), "C")
}

// medic prints the prescriber with the title, specialty and professional licences the law asks for.
func (r *renderer) medic() {
	m := r.doc.Medic
	title := "Dr."
	if m.Female {
		title = "Dra."
	}
	r.text("B", r.lay.body+2, title+" "+r.line(m.Name), "L")
	if s := r.line(m.Specialty); s != "" {
		r.text("", r.lay.body, s, "L")
	}
	if s := r.line(m.CedulaProf); s != "" {
		r.text("", r.lay.body, "Cédula profesional: "+s, "L")
	}
	if s := r.line(m.SpecialtyNo); s != "" {
		r.text("", r.lay.body, "Cédula de especialidad: "+s, "L")
	}
	if s := r.line(m.AlmaMater); s != "" {
		r.text("", r.lay.body, s, "L")
	}
	if !r.doc.Issued.IsZero() {
		r.text("", r.lay.body, "Fecha: "+spanishDate(r.doc.Issued), "R")
	}
	r.rule()
}

// patient prints who the prescription is for; the age is taken at the date of issue.
func (r *renderer) patient() {
	p := r.doc.Patient
	r.text("B", r.lay.body, "Paciente: "+r.line(p.Name), "L")
	var facts []string
	if !p.DateOfBirth.IsZero() {
		fact := "Fecha de nacimiento: " + p.DateOfBirth.Format("02/01/2006")
		if age, ok := ageAt(p.DateOfBirth, r.doc.Issued); ok {
			fact += " (" + strconv.Itoa(age) + " años)"
		}
		facts = append(facts, fact)
	}
	if s := r.gender(p.Gender); s != "" {
		facts = append(facts, "Sexo: "+s)
	}
	if s := r.line(p.Email); s != "" {
		facts = append(facts, "Correo: "+s)
	}
	if len(facts) > 0 {
		r.text("", r.lay.body, strings.Join(facts, " · "), "L")
	}
	r.rule()
}

// diagnosis prints the diagnosis only when the medic chose to show it.
func (r *renderer) diagnosis() {
	s := r.paragraph(r.doc.Diagnosis)
	if !r.doc.ShowDiagnosis || s == "" {
		return
	}
	r.text("B", r.lay.body, "Diagnóstico:", "L")
	r.text("", r.lay.body, s, "L")
	r.pdf.Ln(2)
}

// medications prints each drug with its quantity, identifiers and instructions.
func (r *renderer) medications() {
	r.text("B", r.lay.body+1, "Rp.", "L")
	if len(r.doc.Medications) == 0 {
		r.text("I", r.lay.body, "Sin medicamentos prescritos.", "L")
	}
	for i, m := range r.doc.Medications {
		name := fmt.Sprintf("%d. %s", i+1, r.line(m.Presentation))
		if m.Qty > 0 {
			name += " — Cantidad: " + strconv.Itoa(m.Qty)
		}
		r.text("B", r.lay.body, name, "L")
		if s := r.paragraph(m.Instructions); s != "" {
			r.text("", r.lay.body, s, "L")
		}
		var ids []string
		if s := r.line(m.DrugUPC); s != "" {
			ids = append(ids, "Código: "+s)
		}
		if s := r.line(m.Category); s != "" {
			ids = append(ids, "Categoría: "+s)
		}
		if len(ids) > 0 {
			r.pdf.SetTextColor(90, 90, 90)
			r.text("", r.lay.small, strings.Join(ids, " · "), "L")
			r.pdf.SetTextColor(0, 0, 0)
		}
		r.pdf.Ln(1.5)
	}
}

// extras prints the medic's further indications.
func (r *renderer) extras() {
	if s := r.paragraph(r.doc.Extras); s != "" {
		r.pdf.Ln(1)
		r.text("B", r.lay.body, "Indicaciones adicionales:", "L")
		r.text("", r.lay.body, s, "L")
	}
}

// signature closes the prescription with its electronic signature and the QR code of the
// verification URL, moving to a new page when the block does not fit under the last medication.
func (r *renderer) signature() error {
	var bits [][]bool
	if r.doc.VerifyURL != "" {
		code, err := qrcode.NewWith(r.doc.VerifyURL, qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionMedium))
		if err != nil {
			return fmt.Errorf("rxpdf: qr code of the verification url: %w", err)
		}
		var m matrix
		if err := code.Save(&m); err != nil {
			return fmt.Errorf("rxpdf: qr code of the verification url: %w", err)
		}
		bits = m.bits
	}
	_, pageHt := r.pdf.GetPageSize()
	_, _, _, bottom := r.pdf.GetMargins()
	if r.pdf.GetY()+r.lay.qrSize+8 > pageHt-bottom {
		r.pdf.AddPage()
	}
	r.rule()
	top := r.pdf.GetY() + 2
	textX := r.lay.margin
	if bits != nil {
		r.drawQR(bits, r.lay.margin, top, r.lay.qrSize)
		textX += r.lay.qrSize + 4
	}
	r.pdf.SetXY(textX, top)
	w := r.lay.size.Wd - r.lay.margin - textX
	r.pdf.SetFont("go", "B", r.lay.small+1)
	r.pdf.MultiCell(w, 4, "Firma electrónica", "", "L", false)
	r.pdf.SetX(textX)
	r.pdf.SetFont("go", "", r.lay.small)
	r.pdf.MultiCell(w, 3.5, r.line(r.doc.Signature), "", "L", false)
	if bits != nil {
		r.pdf.Ln(1)
		r.pdf.SetX(textX)
		r.pdf.MultiCell(w, 3.5, "Verifique la autenticidad de esta receta con el código QR o en:", "", "L", false)
		r.pdf.SetX(textX)
		r.pdf.MultiCell(w, 3.5, r.line(r.doc.VerifyURL), "", "L", false)
	}
	if end := top + r.lay.qrSize; r.pdf.GetY() < end {
		r.pdf.SetY(end)
	}
	return nil
}

// drawQR paints the dark modules of the code, one rectangle per horizontal run so no hairline seams
// appear between neighbouring modules; the white page around it is the quiet zone.
func (r *renderer) drawQR(bits [][]bool, x, y, size float64) {
	module := size / float64(len(bits))
	r.pdf.SetFillColor(0, 0, 0)
	for row, cells := range bits {
		for col := 0; col < len(cells); {
			if !cells[col] {
				col++
				continue
			}
			start := col
			for col < len(cells) && cells[col] {
				col++
			}
			r.pdf.Rect(x+float64(start)*module, y+float64(row)*module, float64(col-start)*module, module, "F")
		}
	}
}

// info adds the hospital's information page when the hospital has one.
func (r *renderer) info() {
	s := r.paragraph(r.doc.Hospital.Info)
	if s == "" {
		return
	}
	r.pdf.AddPage()
	r.text("B", r.lay.body+2, "Información adicional", "L")
	r.pdf.Ln(2)
	r.text("", r.lay.body, s, "L")
}

// matrix is a qrcode.Writer that keeps the module matrix instead of writing an image.
type matrix struct{ bits [][]bool }

// Write keeps the modules, dark as true.
func (m *matrix) Write(mat qrcode.Matrix) error {
	m.bits = mat.Bitmap()
	return nil
}

// Close has nothing to release.
func (m *matrix) Close() error { return nil }

// spanishDate writes t as "4 de diciembre de 2026".
func spanishDate(t time.Time) string {
	return fmt.Sprintf("%d de %s de %d", t.Day(), spanishMonths[t.Month()-1], t.Year())
}

// ageAt is the age in whole years on the given day; unknown when the day is missing or before birth.
func ageAt(birth, day time.Time) (int, bool) {
	if day.IsZero() || day.Before(birth) {
		return 0, false
	}
	age := day.Year() - birth.Year()
	if day.Month() < birth.Month() || (day.Month() == birth.Month() && day.Day() < birth.Day()) {
		age--
	}
	return age, true
}

// gender spells the platform's M/F/O codes out; anything else prints as given.
func (r *renderer) gender(code string) string {
	switch strings.ToUpper(strings.TrimSpace(code)) {
	case "M":
		return "Masculino"
	case "F":
		return "Femenino"
	case "O":
		return "Otro"
	}
	return r.line(code)
}

// goFont is the parsed regular Go font, read once to learn which characters the fonts can draw.
var goFont = sync.OnceValues(func() (*sfnt.Font, error) { return sfnt.Parse(goregular.TTF) })

// paragraph cleans free text for printing, keeping the medic's line breaks: control characters are
// dropped, and invalid UTF-8 and characters the fonts cannot draw (fpdf refuses some, and prints an
// empty box for others) become "?".
func (r *renderer) paragraph(s string) string {
	s = strings.ToValidUTF8(s, "?")
	s = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\t", " ").Replace(s)
	s = strings.Map(func(c rune) rune {
		switch {
		case c == '\n':
			return c
		case unicode.IsControl(c):
			return -1
		}
		if i, err := r.font.GlyphIndex(&r.glyphs, c); err != nil || i == 0 {
			return '?'
		}
		return c
	}, s)
	return strings.TrimSpace(s)
}

// line cleans a one-line field, folding any line break into a space.
func (r *renderer) line(s string) string {
	return strings.Join(strings.Fields(r.paragraph(s)), " ")
}
