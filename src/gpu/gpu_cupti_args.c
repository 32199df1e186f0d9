/*
 * gpu_cupti_args.c - the CUPTI callback-argument table: what the detectors
 * need from the arguments of an API call, read at the callback (stream and
 * event of launches, copies, event record and wait; the stream a creation
 * call produced; whether the call launches GPU work).  Parameter structs
 * are those of generated_cuda_runtime_api_meta.h and generated_cuda_meta.h
 * (CUDA 13.0); the _ptsz variants share the plain ones' layout.
 */
#include <cuda.h>
#include <cupti.h>

#include "gpu/gpu_cupti.h"

/* The calls that launch one kernel.  A copy or fill carrying such a call's
 * correlation ID is the driver's module loading (gpu_attrib.c, FACTS.md
 * Q9): a kernel launch cannot enqueue a copy for the implementation.  Graph
 * launches are NOT here: a graph's memcpy/memset nodes are the
 * implementation's own work and carry the graph launch's ID.  CUDA 13's
 * <<<>>> is __cudaLaunchKernel (cbids 505/506, FACTS.md Q4). */
static const CUpti_CallbackId runtime_launches[] = {
	CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernel_v7000,
	CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernel_ptsz_v7000,
	CUPTI_RUNTIME_TRACE_CBID_cudaLaunchCooperativeKernel_v9000,
	CUPTI_RUNTIME_TRACE_CBID_cudaLaunchCooperativeKernel_ptsz_v9000,
	CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernelExC_v11060,
	CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernelExC_ptsz_v11060,
	CUPTI_RUNTIME_TRACE_CBID___cudaLaunchKernel_v13000,
	CUPTI_RUNTIME_TRACE_CBID___cudaLaunchKernel_ptsz_v13000,
};
static const CUpti_CallbackId driver_launches[] = {
	CUPTI_DRIVER_TRACE_CBID_cuLaunch,
	CUPTI_DRIVER_TRACE_CBID_cuLaunchGrid,
	CUPTI_DRIVER_TRACE_CBID_cuLaunchGridAsync,
	CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel,
	CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel_ptsz,
	CUPTI_DRIVER_TRACE_CBID_cuLaunchCooperativeKernel,
	CUPTI_DRIVER_TRACE_CBID_cuLaunchCooperativeKernel_ptsz,
	CUPTI_DRIVER_TRACE_CBID_cuLaunchKernelEx,
	CUPTI_DRIVER_TRACE_CBID_cuLaunchKernelEx_ptsz,
};

static int is_launch(CUpti_CallbackDomain dom, CUpti_CallbackId id)
{
	const CUpti_CallbackId *v = dom == CUPTI_CB_DOMAIN_RUNTIME_API ? runtime_launches
								       : driver_launches;
	size_t n = dom == CUPTI_CB_DOMAIN_RUNTIME_API
			   ? sizeof runtime_launches / sizeof runtime_launches[0]
			   : sizeof driver_launches / sizeof driver_launches[0];
	for (size_t i = 0; i < n; i++)
		if (v[i] == id)
			return 1;
	return 0;
}

static int64_t stream_id(CUcontext ctx, CUstream s, int per_thread)
{
	uint32_t id;
	/* The special handles (cuda.h: CU_STREAM_LEGACY 0x1, CU_STREAM_PER_THREAD
	 * 0x2, the same values as cudaStreamLegacy/cudaStreamPerThread) are not
	 * stream objects: never hand them to CUPTI as pointers.  They name the
	 * NULL stream in its two meanings. */
	if (s == CU_STREAM_LEGACY) {
		s = NULL;
		per_thread = 0;
	} else if (s == CU_STREAM_PER_THREAD) {
		s = NULL;
		per_thread = 1;
	}
	if (cuptiGetStreamIdEx(ctx, s, (uint8_t)per_thread, &id) != CUPTI_SUCCESS)
		return REC_NONE;
	return id;
}

static int64_t event_id(const void *ev)
{
	return ev ? (int64_t)(uintptr_t)ev : REC_NONE;
}

/* The stream and event arguments of the calls the detectors reason about
 * (launches, event record/wait).  Events are identified by their handle. */
void gpu_cupti_api_args(CUpti_CallbackDomain dom, CUpti_CallbackId id,
			const CUpti_CallbackData *cb, int64_t *stream, int64_t *event,
			int *launch)
{
	*launch = is_launch(dom, id);
	const void *p = cb->functionParams;
	CUcontext ctx = cb->context;
	if (!p)
		return;
	if (dom == CUPTI_CB_DOMAIN_RUNTIME_API) {
		switch (id) {
		case CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernel_v7000:
		case CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernel_ptsz_v7000:
			*stream = stream_id(ctx, ((const cudaLaunchKernel_v7000_params *)p)->stream,
					    id == CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernel_ptsz_v7000);
			break;
		case CUPTI_RUNTIME_TRACE_CBID_cudaLaunchCooperativeKernel_v9000:
		case CUPTI_RUNTIME_TRACE_CBID_cudaLaunchCooperativeKernel_ptsz_v9000:
			*stream = stream_id(ctx,
					    ((const cudaLaunchCooperativeKernel_v9000_params *)p)->stream,
					    id == CUPTI_RUNTIME_TRACE_CBID_cudaLaunchCooperativeKernel_ptsz_v9000);
			break;
		case CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernelExC_v11060:
		case CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernelExC_ptsz_v11060: {
			const cudaLaunchConfig_t *c = ((const cudaLaunchKernelExC_v11060_params *)p)->config;
			if (c)
				*stream = stream_id(ctx, c->stream,
						    id == CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernelExC_ptsz_v11060);
			break;
		}
		case CUPTI_RUNTIME_TRACE_CBID_cudaEventRecord_v3020:
		case CUPTI_RUNTIME_TRACE_CBID_cudaEventRecord_ptsz_v7000: {
			const cudaEventRecord_v3020_params *q = p;
			*stream = stream_id(ctx, q->stream,
					    id == CUPTI_RUNTIME_TRACE_CBID_cudaEventRecord_ptsz_v7000);
			*event = event_id(q->event);
			break;
		}
		case CUPTI_RUNTIME_TRACE_CBID_cudaEventRecordWithFlags_v11010:
		case CUPTI_RUNTIME_TRACE_CBID_cudaEventRecordWithFlags_ptsz_v11010: {
			const cudaEventRecordWithFlags_v11010_params *q = p;
			*stream = stream_id(ctx, q->stream,
					    id == CUPTI_RUNTIME_TRACE_CBID_cudaEventRecordWithFlags_ptsz_v11010);
			*event = event_id(q->event);
			break;
		}
		case CUPTI_RUNTIME_TRACE_CBID_cudaMemcpyAsync_v3020:
		case CUPTI_RUNTIME_TRACE_CBID_cudaMemcpyAsync_ptsz_v7000:
			*stream = stream_id(ctx, ((const cudaMemcpyAsync_v3020_params *)p)->stream,
					    id == CUPTI_RUNTIME_TRACE_CBID_cudaMemcpyAsync_ptsz_v7000);
			break;
		case CUPTI_RUNTIME_TRACE_CBID_cudaMemsetAsync_v3020:
		case CUPTI_RUNTIME_TRACE_CBID_cudaMemsetAsync_ptsz_v7000:
			*stream = stream_id(ctx, ((const cudaMemsetAsync_v3020_params *)p)->stream,
					    id == CUPTI_RUNTIME_TRACE_CBID_cudaMemsetAsync_ptsz_v7000);
			break;
		case CUPTI_RUNTIME_TRACE_CBID_cudaGraphLaunch_v10000:
		case CUPTI_RUNTIME_TRACE_CBID_cudaGraphLaunch_ptsz_v10000:
			*stream = stream_id(ctx, ((const cudaGraphLaunch_v10000_params *)p)->stream,
					    id == CUPTI_RUNTIME_TRACE_CBID_cudaGraphLaunch_ptsz_v10000);
			break;
		case CUPTI_RUNTIME_TRACE_CBID_cudaLaunchHostFunc_v10000:
		case CUPTI_RUNTIME_TRACE_CBID_cudaLaunchHostFunc_ptsz_v10000:
			*stream = stream_id(ctx, ((const cudaLaunchHostFunc_v10000_params *)p)->stream,
					    id == CUPTI_RUNTIME_TRACE_CBID_cudaLaunchHostFunc_ptsz_v10000);
			break;
		/* CUDA 13's <<<>>> launches go through __cudaLaunchKernel (cbids
		 * ___cudaLaunchKernel_v13000 and _ptsz_v13000), whose parameter
		 * struct no public header declares: its stream is not read here
		 * but taken from the kernel record of the same correlation ID at
		 * drain time (backfill_streams). */
		case CUPTI_RUNTIME_TRACE_CBID_cudaStreamWaitEvent_v3020:
		case CUPTI_RUNTIME_TRACE_CBID_cudaStreamWaitEvent_ptsz_v7000: {
			const cudaStreamWaitEvent_v3020_params *q = p;
			*stream = stream_id(ctx, q->stream,
					    id == CUPTI_RUNTIME_TRACE_CBID_cudaStreamWaitEvent_ptsz_v7000);
			*event = event_id(q->event);
			break;
		}
		default:
			break;
		}
		return;
	}
	switch (id) {
	case CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel:
	case CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel_ptsz:
		*stream = stream_id(ctx, ((const cuLaunchKernel_params *)p)->hStream,
				    id == CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel_ptsz);
		break;
	case CUPTI_DRIVER_TRACE_CBID_cuLaunchCooperativeKernel:
	case CUPTI_DRIVER_TRACE_CBID_cuLaunchCooperativeKernel_ptsz:
		*stream = stream_id(ctx, ((const cuLaunchCooperativeKernel_params *)p)->hStream,
				    id == CUPTI_DRIVER_TRACE_CBID_cuLaunchCooperativeKernel_ptsz);
		break;
	case CUPTI_DRIVER_TRACE_CBID_cuLaunchKernelEx:
	case CUPTI_DRIVER_TRACE_CBID_cuLaunchKernelEx_ptsz: {
		const CUlaunchConfig *c = ((const cuLaunchKernelEx_params *)p)->config;
		if (c)
			*stream = stream_id(ctx, c->hStream,
					    id == CUPTI_DRIVER_TRACE_CBID_cuLaunchKernelEx_ptsz);
		break;
	}
	case CUPTI_DRIVER_TRACE_CBID_cuMemcpyAsync:
	case CUPTI_DRIVER_TRACE_CBID_cuMemcpyAsync_ptsz:
		*stream = stream_id(ctx, ((const cuMemcpyAsync_params *)p)->hStream,
				    id == CUPTI_DRIVER_TRACE_CBID_cuMemcpyAsync_ptsz);
		break;
	case CUPTI_DRIVER_TRACE_CBID_cuGraphLaunch:
	case CUPTI_DRIVER_TRACE_CBID_cuGraphLaunch_ptsz:
		*stream = stream_id(ctx, ((const cuGraphLaunch_params *)p)->hStream,
				    id == CUPTI_DRIVER_TRACE_CBID_cuGraphLaunch_ptsz);
		break;
	case CUPTI_DRIVER_TRACE_CBID_cuLaunchHostFunc:
	case CUPTI_DRIVER_TRACE_CBID_cuLaunchHostFunc_ptsz:
		*stream = stream_id(ctx, ((const cuLaunchHostFunc_params *)p)->hStream,
				    id == CUPTI_DRIVER_TRACE_CBID_cuLaunchHostFunc_ptsz);
		break;
	case CUPTI_DRIVER_TRACE_CBID_cuEventRecord:
	case CUPTI_DRIVER_TRACE_CBID_cuEventRecord_ptsz: {
		const cuEventRecord_params *q = p;
		*stream = stream_id(ctx, q->hStream, id == CUPTI_DRIVER_TRACE_CBID_cuEventRecord_ptsz);
		*event = event_id(q->hEvent);
		break;
	}
	case CUPTI_DRIVER_TRACE_CBID_cuEventRecordWithFlags:
	case CUPTI_DRIVER_TRACE_CBID_cuEventRecordWithFlags_ptsz: {
		const cuEventRecordWithFlags_params *q = p;
		*stream = stream_id(ctx, q->hStream,
				    id == CUPTI_DRIVER_TRACE_CBID_cuEventRecordWithFlags_ptsz);
		*event = event_id(q->hEvent);
		break;
	}
	case CUPTI_DRIVER_TRACE_CBID_cuStreamWaitEvent:
	case CUPTI_DRIVER_TRACE_CBID_cuStreamWaitEvent_ptsz: {
		const cuStreamWaitEvent_params *q = p;
		*stream = stream_id(ctx, q->hStream,
				    id == CUPTI_DRIVER_TRACE_CBID_cuStreamWaitEvent_ptsz);
		*event = event_id(q->hEvent);
		break;
	}
	default:
		break;
	}
}

/* The stream a creation call produced (read at the call's exit). */
int64_t gpu_cupti_created_stream(CUpti_CallbackDomain dom, CUpti_CallbackId id,
				 const CUpti_CallbackData *cb)
{
	const void *p = cb->functionParams;
	CUstream *out = NULL;
	if (!p)
		return REC_NONE;
	if (dom == CUPTI_CB_DOMAIN_RUNTIME_API) {
		if (id == CUPTI_RUNTIME_TRACE_CBID_cudaStreamCreate_v3020)
			out = (CUstream *)((const cudaStreamCreate_v3020_params *)p)->pStream;
		else if (id == CUPTI_RUNTIME_TRACE_CBID_cudaStreamCreateWithFlags_v5000)
			out = (CUstream *)((const cudaStreamCreateWithFlags_v5000_params *)p)->pStream;
		else if (id == CUPTI_RUNTIME_TRACE_CBID_cudaStreamCreateWithPriority_v5050)
			out = (CUstream *)((const cudaStreamCreateWithPriority_v5050_params *)p)->pStream;
	} else {
		if (id == CUPTI_DRIVER_TRACE_CBID_cuStreamCreate)
			out = ((const cuStreamCreate_params *)p)->phStream;
		else if (id == CUPTI_DRIVER_TRACE_CBID_cuStreamCreateWithPriority)
			out = ((const cuStreamCreateWithPriority_params *)p)->phStream;
	}
	/* A failed creation leaves *out as the caller left it (garbage, maybe):
	 * only a successful call's handle is looked up. */
	const void *ret = cb->functionReturnValue;
	if (!out || !ret)
		return REC_NONE;
	if (dom == CUPTI_CB_DOMAIN_RUNTIME_API ? *(const cudaError_t *)ret != cudaSuccess
					       : *(const CUresult *)ret != CUDA_SUCCESS)
		return REC_NONE;
	if (!*out)
		return REC_NONE;
	return stream_id(cb->context, *out, 0);
}
