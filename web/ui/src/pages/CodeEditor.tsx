import { useEffect, useRef } from 'react'
import { EditorView, basicSetup } from 'codemirror'
import { json } from '@codemirror/lang-json'
import { yaml } from '@codemirror/lang-yaml'

// CodeEditor is a CodeMirror 6 JSON (or YAML) editor bound to value/onChange.
export default function CodeEditor({ value, onChange, height = 360, id, lang = 'json', label }: { value: string; onChange: (v: string) => void; height?: number; id?: string; lang?: 'json' | 'yaml'; label?: string }) {
  const el = useRef<HTMLDivElement>(null)
  const view = useRef<EditorView | null>(null)
  const cb = useRef(onChange)
  cb.current = onChange
  useEffect(() => {
    view.current = new EditorView({
      doc: value, parent: el.current!,
      extensions: [basicSetup, lang === 'yaml' ? yaml() : json(), ...(label ? [EditorView.contentAttributes.of({ 'aria-label': label })] : []), EditorView.updateListener.of((u) => { if (u.docChanged) cb.current(u.state.doc.toString()) }),
        EditorView.theme({ '&': { height: height + 'px', border: '1px solid #d9d9d9' }, '.cm-scroller': { overflow: 'auto' } })],
    })
    return () => view.current?.destroy()
  }, [])
  useEffect(() => {
    const v = view.current
    if (v && v.state.doc.toString() !== value) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } })
  }, [value])
  return <div ref={el} id={id} className="code-editor" />
}
