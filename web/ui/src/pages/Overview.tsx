import { useEffect, useRef } from 'react'
import { Card, Col, Row, Statistic, Button, Tag, Space, Progress, App } from 'antd'
import { useQuery, useMutation } from '@tanstack/react-query'
import { useTranslation } from 'react-i18next'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { api } from '../lib/api'
import { formatBytes, formatClock, formatDuration, formatNumber, formatPercent, formatRate, usagePercent } from '../lib/format'
import { useReadOnly, useCan } from '../App'
import { stateLabel } from '../lib/enums'
import { axisBytes, gaugeColor, TIME_INCRS, timeLabel } from '../lib/chart'

interface Usage { current: number; total: number }
interface Status {
  cpu: number; cpuCores: number; mem: Usage; swap: Usage; disk: Usage; uptime: number; loads: number[]
  tcpCount: number; udpCount: number; netIO: { up: number; down: number }; netTraffic: { sent: number; recv: number }
  xray: { state: string; errorMsg: string; version: string }
}

const WINDOW = 120 // points kept in the live chart

// axisSize is the y-axis width in pixels: its widest label plus padding.
function axisSize(u: uPlot, values: string[] | null): number {
  // Measured on a canvas of its own: uPlot's is mid-draw, at device scale.
  const ctx = document.createElement('canvas').getContext('2d')!
  ctx.font = '12px system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif'
  const w = Math.max(0, ...(values ?? []).map((v) => ctx.measureText(v).width))
  const size = Math.ceil(w) + 24
  if (u.root.parentElement) u.root.parentElement.dataset.ysize = String(size)
  return size
}

function Throughput({ up, down, at }: { up?: number; down?: number; at: number }) {
  const { t, i18n } = useTranslation()
  const el = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  const data = useRef<[number[], number[], number[]]>([[], [], []])
  useEffect(() => {
    if (!el.current) return
    plot.current = new uPlot({
      width: el.current.clientWidth || 600, height: 220,
      series: [{ label: t('overview.time'), value: (_u, v) => (v == null ? '' : formatClock(v * 1000)) }, { label: '↑', stroke: '#1677ff', value: (_u, v) => (v == null ? '' : formatRate(v)) },
        { label: '↓', stroke: '#52c41a', value: (_u, v) => (v == null ? '' : formatRate(v)) }],
      // Whole-second ticks, and a y-axis sized to its widest label so
      // "976.56 KB" is not cut to "76.56 KB".
      // The rendered labels go to data-* attributes for the browser test.
      axes: [{ incrs: TIME_INCRS, values: (_u, vs, _a, _s, incr) => { const l = vs.map((v) => timeLabel(v, incr)); el.current!.dataset.xticks = vs.join(','); el.current!.dataset.xlabels = l.join('|'); return l } },
        { values: (_u, vs) => { const l = vs.map(axisBytes); el.current!.dataset.ylabels = l.join('|'); return l }, size: axisSize }],
      scales: { y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1024] } },
    }, data.current, el.current)
    const ro = new ResizeObserver(() => plot.current?.setSize({ width: el.current!.clientWidth, height: 220 }))
    ro.observe(el.current)
    return () => { ro.disconnect(); plot.current?.destroy() }
    // Rebuilt on a language change: uPlot keeps its labels and formatters.
  }, [t, i18n.language])
  // The first sample after load is the rate since the server's previous
  // sample, often a spike: the chart starts from the second one.
  const seen = useRef(0)
  useEffect(() => {
    if (up === undefined || down === undefined) return
    if (seen.current++ === 0) return
    const d = data.current
    d[0].push(Date.now() / 1000); d[1].push(up); d[2].push(down)
    if (d[0].length > WINDOW) d.forEach((s) => s.shift())
    plot.current?.setData(d)
  }, [at]) // every sample, even one equal to the last
  return <div ref={el} id="throughput-chart" />
}

export default function Overview() {
  const { t } = useTranslation()
  const { message } = App.useApp()
  const ro = useReadOnly()
  const canRestart = useCan('xray.restart')
  const st = useQuery({ queryKey: ['status'], queryFn: () => api.get<Status>('server/status'), refetchInterval: 2000 })
  const online = useQuery({ queryKey: ['onlines'], queryFn: () => api.get<string[]>('inbounds/onlines'), refetchInterval: 5000 })
  const { modal } = App.useApp()
  const act = useMutation({
    mutationFn: (what: 'restartXrayService' | 'stopXrayService') => api.post('server/' + what),
    onSuccess: (_r, what) => { message.success(t(what === 'stopXrayService' ? 'firstHour.stopped' : 'firstHour.restarted')); void st.refetch() },
    onError: (e) => message.error((e as Error).message),
  })
  const s = st.data
  return (
    <Space orientation="vertical" style={{ width: '100%' }} size="middle">
      <Card title={t('overview.xray')}>
        <Space wrap>
          <span>{t('overview.state')}: <Tag id="xray-state" color={s?.xray.state === 'running' ? 'green' : 'red'}>{s ? stateLabel(t, s.xray.state) : '…'}</Tag></span>
          <span>{t('overview.version')}: {s?.xray.version}</span>
          {s?.xray.errorMsg && <Tag color="red">{s.xray.errorMsg}</Tag>}
          {canRestart && <>
            <Button disabled={ro} loading={act.isPending} onClick={() => act.mutate('restartXrayService')}>{t('overview.restart')}</Button>
            <Button danger disabled={ro} onClick={() => modal.confirm({ title: t('firstHour.stopTitle'), content: t('firstHour.stopBody'), okText: t('overview.stop'), okButtonProps: { danger: true }, cancelText: t('common.cancel'), onOk: () => act.mutateAsync('stopXrayService') })}>{t('overview.stop')}</Button>
          </>}
        </Space>
      </Card>
      <Row gutter={[16, 16]}>
        {s && ([['cpu', s.cpu, t('fmt.cores', { n: s.cpuCores })], ['mem', usagePercent(s.mem.current, s.mem.total), `${formatBytes(s.mem.current)} / ${formatBytes(s.mem.total)}`],
          ['disk', usagePercent(s.disk.current, s.disk.total), `${formatBytes(s.disk.current)} / ${formatBytes(s.disk.total)}`],
          ['swap', usagePercent(s.swap.current, s.swap.total), `${formatBytes(s.swap.current)} / ${formatBytes(s.swap.total)}`]] as const).map(([k, pct, sub]) => (
          <Col key={k} xs={12} md={6}><Card size="small" title={t(`overview.${k}`)}>
            <Progress type="dashboard" status="normal" percent={Math.round(Number(pct) * 10) / 10} size={90} strokeColor={gaugeColor(Number(pct))}
              format={(p) => formatPercent(p ?? 0)} aria-label={t(`overview.${k}`)} /><div>{sub}</div></Card></Col>
        ))}
      </Row>
      <Row gutter={[16, 16]}>
        <Col xs={12} md={4}><Card size="small"><Statistic title={t('overview.upload')} value={formatRate(s?.netIO.up ?? 0)} /></Card></Col>
        <Col xs={12} md={4}><Card size="small"><Statistic title={t('overview.download')} value={formatRate(s?.netIO.down ?? 0)} /></Card></Col>
        <Col xs={12} md={4}><Card size="small"><Statistic title={t('overview.totalSent')} value={formatBytes(s?.netTraffic.sent ?? 0)} /></Card></Col>
        <Col xs={12} md={4}><Card size="small"><Statistic title={t('overview.totalRecv')} value={formatBytes(s?.netTraffic.recv ?? 0)} /></Card></Col>
        <Col xs={12} md={4}><Card size="small"><Statistic title={t('overview.uptime')} value={formatDuration(s?.uptime ?? 0)} /></Card></Col>
        <Col xs={12} md={4}><Card size="small"><Statistic title={t('overview.load')} value={(s?.loads ?? []).map((l) => formatNumber(l, 2)).join(' ')} /></Card></Col>
        <Col xs={12} md={4}><Card size="small"><Statistic title={t('overview.connections')} value={`${formatNumber(s?.tcpCount ?? 0)} / ${formatNumber(s?.udpCount ?? 0)}`} /></Card></Col>
        <Col xs={12} md={4}><Card size="small"><Statistic title={t('overview.online')} value={formatNumber(online.data?.length ?? 0)} /></Card></Col>
      </Row>
      <Card title={t('overview.throughput')}><Throughput up={s?.netIO.up} down={s?.netIO.down} at={st.dataUpdatedAt} /></Card>
    </Space>
  )
}
