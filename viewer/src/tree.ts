/**
 * The targets tree: namespaces → pods → containers and nodes → processes, as an ARIA tree
 * with a roving tabindex (↑/↓ move, → expands, ← collapses or goes to the parent, Enter or a
 * click writes the item's selector into the query).
 *
 * Namespaces and nodes come from the store's directories; pods, containers and processes
 * only exist in lines, so a namespace's or node's children are loaded when it is first
 * expanded, through `loadChildren` (a `count by (…)` metric query over the current range:
 * one scan, no rows).
 */
import { quote } from './query-text.ts';
import type { TargetsInfo } from './protocol.ts';

export type LabelSets = Record<string, string>[];

interface Item {
  label: string;
  selector: string;
  level: number;
  children: Item[] | null;
  /** Loads children on first expand. */
  load?: () => Promise<Item[]>;
  expanded: boolean;
}

export class TargetsTree {
  private roots: Item[] = [];
  private focusPath = '0';
  onPick: (selector: string) => void = () => {};

  constructor(
    private readonly root: HTMLElement,
    private readonly loadChildren: (logType: 'pod' | 'node', target: string) => Promise<LabelSets>,
  ) {
    root.setAttribute('role', 'tree');
    root.addEventListener('keydown', (e) => this.keydown(e));
    root.addEventListener('click', (e) => {
      const li = (e.target as HTMLElement).closest<HTMLElement>('[role=treeitem]');
      if (!li) return;
      const item = this.itemAt(li.dataset['path']!);
      if (!item) return;
      this.focusPath = li.dataset['path']!;
      if ((e.target as HTMLElement).classList.contains('twisty')) void this.toggle(item);
      else this.onPick(item.selector);
      this.render(true);
    });
  }

  setTargets(t: TargetsInfo | null): void {
    const group = (label: string, items: Item[]): Item => ({ label, selector: '', level: 1, children: items, expanded: true });
    if (t === null) {
      this.roots = [];
      this.render(false);
      return;
    }
    const ns = t.pod.map((n) => this.targetItem('pod', n));
    const nodes = t.node.map((n) => this.targetItem('node', n));
    this.roots = [group(`Namespaces (${ns.length})`, ns), group(`Nodes (${nodes.length})`, nodes)];
    this.focusPath = '0';
    this.render(false);
  }

  private targetItem(logType: 'pod' | 'node', target: string): Item {
    const targetLabel = logType === 'pod' ? 'namespace' : 'node';
    const base = `${targetLabel}=${quote(target)}`;
    return {
      label: target,
      selector: `${logType}{${base}}`,
      level: 2,
      children: null,
      expanded: false,
      load: async () => {
        const sets = await this.loadChildren(logType, target);
        if (logType === 'node') {
          const procs = [...new Set(sets.map((s) => s['process'] ?? ''))].filter((p) => p !== '').sort();
          return procs.map((p) => ({ label: p, selector: `node{${base}, process=${quote(p)}}`, level: 3, children: [], expanded: false }));
        }
        const pods = new Map<string, Set<string>>();
        for (const s of sets) {
          const pod = s['pod'] ?? '';
          if (!pods.has(pod)) pods.set(pod, new Set());
          if (s['container']) pods.get(pod)!.add(s['container']);
        }
        return [...pods.keys()].sort().map((pod) => ({
          label: pod,
          selector: `pod{${base}, pod=${quote(pod)}}`,
          level: 3,
          expanded: false,
          children: [...pods.get(pod)!].sort().map((c) => ({ label: c, selector: `pod{${base}, pod=${quote(pod)}, container=${quote(c)}}`, level: 4, children: [], expanded: false })),
        }));
      },
    };
  }

  private itemAt(path: string): Item | null {
    let list = this.roots;
    let item: Item | null = null;
    for (const k of path.split('.').map(Number)) {
      item = list[k] ?? null;
      if (!item) return null;
      list = item.children ?? [];
    }
    return item;
  }

  private async toggle(item: Item): Promise<void> {
    if (item.expanded) {
      item.expanded = false;
    } else {
      item.expanded = true;
      if (item.children === null && item.load) {
        item.children = [{ label: 'loading…', selector: '', level: item.level + 1, children: [], expanded: false }];
        this.render(true);
        try {
          item.children = await item.load();
        } catch (e) {
          item.children = [{ label: `failed: ${e instanceof Error ? e.message : String(e)}`, selector: '', level: item.level + 1, children: [], expanded: false }];
        }
      }
    }
    this.render(true);
  }

  /** Paths of the visible items, in order. */
  private visible(): string[] {
    const out: string[] = [];
    const walk = (items: Item[], prefix: string) =>
      items.forEach((it, k) => {
        const p = prefix ? `${prefix}.${k}` : String(k);
        out.push(p);
        if (it.expanded && it.children) walk(it.children, p);
      });
    walk(this.roots, '');
    return out;
  }

  private render(keepFocus: boolean): void {
    const build = (items: Item[], prefix: string): string =>
      items
        .map((it, k) => {
          const p = prefix ? `${prefix}.${k}` : String(k);
          const expandable = it.children === null || it.children.length > 0;
          const expanded = expandable ? ` aria-expanded="${it.expanded}"` : '';
          const twisty = expandable ? `<span class="twisty" aria-hidden="true">${it.expanded ? '▾' : '▸'}</span>` : '<span class="twisty-none"></span>';
          const kids = it.expanded && it.children && it.children.length ? `<ul role="group">${build(it.children, p)}</ul>` : '';
          const escaped = it.label.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
          return `<li role="treeitem" aria-level="${it.level}"${expanded} data-path="${p}" tabindex="${p === this.focusPath ? 0 : -1}" title="${it.selector.replace(/"/g, '&quot;')}"><span class="tree-label">${twisty}${escaped}</span>${kids}</li>`;
        })
        .join('');
    this.root.innerHTML = build(this.roots, '');
    if (keepFocus) this.root.querySelector<HTMLElement>(`[data-path="${this.focusPath}"]`)?.focus();
  }

  private keydown(e: KeyboardEvent): void {
    const vis = this.visible();
    const i = vis.indexOf(this.focusPath);
    const item = this.itemAt(this.focusPath);
    if (!item) return;
    let handled = true;
    if (e.key === 'ArrowDown') this.focusPath = vis[Math.min(vis.length - 1, i + 1)]!;
    else if (e.key === 'ArrowUp') this.focusPath = vis[Math.max(0, i - 1)]!;
    else if (e.key === 'Home') this.focusPath = vis[0]!;
    else if (e.key === 'End') this.focusPath = vis[vis.length - 1]!;
    else if (e.key === 'ArrowRight') {
      if (!item.expanded && (item.children === null || item.children.length > 0)) void this.toggle(item);
      else if (item.children?.length) this.focusPath = `${this.focusPath}.0`;
    } else if (e.key === 'ArrowLeft') {
      if (item.expanded) void this.toggle(item);
      else if (this.focusPath.includes('.')) this.focusPath = this.focusPath.slice(0, this.focusPath.lastIndexOf('.'));
    } else if (e.key === 'Enter' || e.key === ' ') {
      if (item.selector) this.onPick(item.selector);
      else void this.toggle(item);
    } else handled = false;
    if (handled) {
      e.preventDefault();
      this.render(true);
    }
  }
}
