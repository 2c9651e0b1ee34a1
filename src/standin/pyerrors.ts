/** Python-side exceptions as the stand-in reports them (type name, str(), traceback frames). */

export class PyException extends Error {
  readonly pyType: string;
  readonly traceback: string[];
  constructor(pyType: string, message: string, traceback: string[] = []) {
    super(message);
    this.pyType = pyType;
    this.traceback = traceback;
  }
}

/** Raised where aiohttp would answer its plain-text 500 (bad JSON, wrong shapes). */
export class Http500 extends Error {}

/** The interrupt flag was noticed (comfy.model_management.InterruptProcessingException). */
export class InterruptedRun extends Error {}

export const frame = (file: string, line: number, fn: string, code: string): string =>
  `  File "${file}", line ${line}, in ${fn}\n    ${code}\n`;

export const EXECUTION_PY = '/opt/ComfyUI/execution.py';
export const NODES_PY = '/opt/ComfyUI/nodes.py';

/** The frames every node failure starts with (execute → get_output_data → map over list). */
export function executeFrames(): string[] {
  return [
    frame(EXECUTION_PY, 542, 'execute', 'output_data, output_ui, has_subgraph, has_pending_tasks = await get_output_data(prompt_id, unique_id, obj, input_data_all, execution_block_cb=execution_block_cb, pre_execute_cb=pre_execute_cb, v3_data=v3_data)'),
    frame(EXECUTION_PY, 341, 'get_output_data', 'return_values = await _async_map_node_over_list(prompt_id, unique_id, obj, input_data_all, obj.FUNCTION, allow_interrupt=True, execution_block_cb=execution_block_cb, pre_execute_cb=pre_execute_cb, v3_data=v3_data)'),
    frame(EXECUTION_PY, 315, '_async_map_node_over_list', 'await process_inputs(input_dict, i)'),
    frame(EXECUTION_PY, 303, 'process_inputs', 'result = f(**inputs)'),
  ];
}
