// Parameters worth declaring, proposed for templates that declare none: the inputs people change
// between runs (prompts, seed, steps, size, model, input image, output prefix). The result is a
// ready-to-use `parameters` object for PUT /templates/:name.
import type { NodeDefs } from './nodeinfo.ts';
import type { ParameterDecl, ParametersDecl } from './params.ts';
import { isArrayValue, type ApiWorkflow } from './workflow.ts';

/** Input names suggested one parameter per node (name = input, suffixed by node id when several nodes have it). */
const PER_NODE_INPUTS = ['steps', 'cfg', 'denoise', 'sampler_name', 'scheduler', 'width', 'height', 'batch_size', 'ckpt_name', 'filename_prefix'];
const SEED_INPUTS = ['seed', 'noise_seed'];

const slug = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 48);

function literalInputs(wf: ApiWorkflow, input: string): string[] {
  return Object.keys(wf).filter((id) => {
    const v = wf[id]?.inputs[input];
    return v !== undefined && !isArrayValue(v);
  });
}

export function suggestParameters(wf: ApiWorkflow, defs: NodeDefs | undefined): ParametersDecl {
  const out: ParametersDecl = {};
  const add = (name: string, decl: ParameterDecl) => {
    let n = name;
    for (let i = 2; n in out; i++) n = `${name}_${i}`;
    out[n] = decl;
  };

  // Text prompts: multiline STRING inputs (CLIPTextEncode.text and the like), named after the node title.
  for (const [id, node] of Object.entries(wf)) {
    const def = defs?.get(node.class_type);
    const multiline = def
      ? def.inputs.filter((i) => i.spec.kind === 'STRING' && i.spec.multiline).map((i) => i.name)
      : node.class_type === 'CLIPTextEncode' ? ['text'] : [];
    for (const input of multiline) {
      if (typeof node.inputs[input] !== 'string') continue;
      const title = node._meta?.title;
      const named = title && title !== def?.displayName && title !== node.class_type ? slug(title) : '';
      add(named || 'prompt', { target: { node: id }, input, description: `Text of ${title ?? node.class_type} (node ${id})` });
    }
  }

  const seeds = SEED_INPUTS.flatMap((input) => literalInputs(wf, input).map((id) => ({ node: id, input })));
  if (seeds.length > 0) add('seed', { target: seeds, default: 'random', description: 'Noise seed; "random" draws a fresh one per run' });

  for (const input of PER_NODE_INPUTS) {
    const ids = literalInputs(wf, input);
    for (const id of ids) add(ids.length === 1 ? input : `${input}_${id}`, { target: { node: id }, input });
  }

  for (const [id, node] of Object.entries(wf)) {
    const def = defs?.get(node.class_type);
    const uploads = def
      ? def.inputs.filter((i) => i.spec.kind === 'COMBO' && i.spec.upload).map((i) => i.name)
      : node.class_type === 'LoadImage' ? ['image'] : [];
    for (const input of uploads) {
      if (typeof node.inputs[input] === 'string') add(input, { target: { node: id }, input, description: `Input file of ${node._meta?.title ?? node.class_type} (node ${id})` });
    }
  }
  return out;
}
